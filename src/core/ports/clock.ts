// The clock the core reads: milliseconds since the epoch. One per running server (Services.now),
// replaced in tests of expiry; what keeps time for the core (certificates, the store's records)
// takes it rather than reading Date.now itself.
export type Clock = () => number;
