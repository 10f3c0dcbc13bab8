// The files of a data directory, named once: the SQLite store, the certificate authority and the
// server certificate. Kept apart from ca.ts so that a command can name them without loading X.509.
export const STORE_FILE = 'ssod.db';
export const CA_KEY_FILE = 'ca.key';
export const CA_CERT_FILE = 'ca.crt';
export const SERVER_KEY_FILE = 'server.key';
export const SERVER_CERT_FILE = 'server.crt';

/** The files that hold the CA: without them no issued certificate can be checked, and none issued again. */
export const CA_FILES = [CA_KEY_FILE, CA_CERT_FILE] as const;
/** The files of the server certificate: derived from the CA and the host name, re-issued when missing. */
export const SERVER_CERTIFICATE_FILES = [SERVER_KEY_FILE, SERVER_CERT_FILE] as const;
