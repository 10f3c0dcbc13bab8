// An operator change that the domain refuses because it would break something. The message says
// what to fix; `override` names the acknowledgement with which the change goes ahead anyway
// (the command line turns it into its flag).
export type RefusalOverride = 'force' | 'skipDnsCheck';

export class Refusal extends Error {
  readonly override: RefusalOverride | null;
  constructor(message: string, override: RefusalOverride | null = null) {
    super(message);
    this.name = 'Refusal';
    this.override = override;
  }
}
