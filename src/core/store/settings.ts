// Service settings (operator commands; read by every node): the store's part.

export interface SettingsStore {
  /** Every stored setting, by key; a key that is absent has its default. */
  readSettings(): Promise<Record<string, string>>;
  /** Sets (a string) or removes (null) settings, all in one transaction. */
  writeSettings(changes: Readonly<Record<string, string | null>>, now: number): Promise<void>;
}
