/**
 * Bad input the user can act on (a missing path, an unreadable file, a directory without manifests, declared
 * policies with problems): the CLI prints it as one line and exits with status 2.
 */
export class PolicyInputError extends Error {
  /** The CLI's exit status for it: bad input. */
  readonly exitCode = 2;

  constructor(message: string) {
    super(message);
    this.name = 'PolicyInputError';
  }
}
