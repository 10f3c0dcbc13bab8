// ssod/client: what an application needs to join single sign-on: the SOAP client, joining
// and certificate rotation, the relay URLs and the node:http middleware with its adapters, and the
// verification and receiving of signed logon tickets for other DNS domains.
export { SsoClient, type CallOptions, type SsoClientOptions } from './client.js';
export { SsoFaultError, SsoTransportError, isFault, type EnvelopeFaultCode, type SsoFaultCode, type TransportErrorKind } from './errors.js';
export { applicationIdOf, loadIdentity, splitIdentityPem, type ClientIdentity, type KeyPair } from './identity.js';
export { CLIENT_OPERATIONS, OPERATION_NAMES, type OperationInput, type OperationName, type OperationOutput } from './operations.js';
export {
  SessionVariables,
  isVersionConflict,
  type SessionVariable,
  type SessionVariableDeclaration,
  type VariableAddress,
  type VerifiedSession,
} from './sessionVariables.js';
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
export { SsoApp, appendSetCookie, cookieOf, type LoginResult, type SignedInUser, type SignInAt, type SsoAppOptions } from './middleware.js';
export {
  ssoExpress,
  ssoFastify,
  ticketExpress,
  ticketFastify,
  type TicketAdapterOptions,
  type WithSsoUser,
  type WithTicketUser,
} from './adapters.js';
export {
  KeySetUnavailable,
  LOGOUT_TOKEN_TYPE,
  TICKET_TYPE,
  TicketError,
  VERIFIED_TOKENS_KEPT,
  isLoopbackUrl,
  keySetUrlProblem,
  localTicketKeys,
  remoteTicketKeys,
  ticketVerificationKeys,
  verifyLogoutToken,
  verifyTicket,
  type LogoutOrder,
  type RemoteKeysOptions,
  type RemoteTicketKeys,
  type TicketErrorCode,
  type TicketKeys,
  type TicketUser,
  type VerifyOptions,
} from './tickets.js';
export {
  SESSION_START_TYPE,
  sessionStartAnswer,
  verifySessionStartCallback,
  type SessionStartAnswer,
  type SessionStartOrder,
  type SessionStartRequest,
  type SessionStartVerifyOptions,
} from './sessionStart.js';
export {
  LOGOUT_MEMORY_SECONDS,
  memoryReceiverState,
  sqliteReceiverState,
  type ReceiverState,
  type ReceiverStateOptions,
} from './receiverState.js';
export { TicketReceiver, type ReceiverLog, type TicketReceiverOptions } from './receiver.js';
