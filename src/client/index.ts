// ssod/client: what an application needs to join single sign-on: the SOAP client, joining
// and certificate rotation, the relay URLs and the node:http middleware with its adapters.
export { SsoClient, type CallOptions, type SsoClientOptions } from './client.js';
export { SsoFaultError, SsoTransportError, isFault, type EnvelopeFaultCode, type SsoFaultCode, type TransportErrorKind } from './errors.js';
export { applicationIdOf, loadIdentity, splitIdentityPem, type ClientIdentity, type KeyPair } from './identity.js';
export { CLIENT_OPERATIONS, OPERATION_NAMES, type OperationInput, type OperationName, type OperationOutput } from './operations.js';
export { register, rotateCertificate, type RegisterOptions, type Registration, type RotateOptions } from './register.js';
export {
  SSOSID_PARAM,
  baseUrlOf,
  getSessionUrl,
  readSsosid,
  setCookieUrl,
  signInPageUrl,
  withoutSsosid,
  type RelayAnswer,
} from './relay.js';
export { SsoApp, cookieOf, type LoginResult, type SignedInUser, type SignInAt, type SsoAppOptions } from './middleware.js';
export { ssoExpress, ssoFastify, type WithSsoUser } from './adapters.js';
