import * as core from '@actions/core';

/**
 * Every secret we know of, so it can be masked in the runner log and scrubbed from anything we
 * write ourselves (errors, summary, outputs, stored labels).
 */
export class SecretRegistry {
  private readonly values = new Set<string>();

  constructor(private readonly inActions: boolean) {}

  register(value: string | undefined): void {
    const v = value?.trim();
    // Very short values would mask ordinary words everywhere; they are not credentials anyway.
    if (!v || v.length < 4 || this.values.has(v)) return;
    this.values.add(v);
    // Outside Actions, ::add-mask:: would print the secret itself to the terminal.
    if (this.inActions) core.setSecret(v);
  }

  redact(text: string): string {
    let out = text;
    // Longest first so a secret containing another is masked whole.
    for (const v of [...this.values].sort((a, b) => b.length - a.length)) out = out.split(v).join('***');
    return out;
  }

  isSecret(text: string): boolean {
    return this.values.has(text.trim());
  }
}
