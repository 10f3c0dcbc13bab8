// An operator change that the domain refuses because it would break something. The message says
// what to fix; `override` names what the operator must acknowledge for the change to go ahead
// anyway (each front end asks for it its own way: the command line with a flag).
export type RefusalOverride =
  /** The change cuts off what depends on the current state (applications on other hosts). */
  | 'disruption'
  /** The host name does not resolve here, and the change goes ahead without it. */
  | 'unresolvedHostname';

export class Refusal extends Error {
  readonly override: RefusalOverride | null;
  constructor(message: string, override: RefusalOverride | null = null) {
    super(message);
    this.name = 'Refusal';
    this.override = override;
  }
}
