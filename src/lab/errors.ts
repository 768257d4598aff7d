// Named errors of `wren lab`, each with a stable code. The CLI prints the message and exits
// 2 for bad input or a state the command does not fit, 1 when the lab itself failed.

export type LabErrorCode =
  | 'lab-input'
  | 'lab-not-root'
  | 'lab-missing-tool'
  | 'lab-exists'
  | 'lab-none'
  | 'lab-command-failed'
  | 'lab-timeout'
  | 'lab-process-exited'
  | 'lab-step-failed'
  | 'lab-state';

export abstract class LabError extends Error {
  abstract readonly code: LabErrorCode;
  /** Exit status of the CLI for this error. */
  readonly exitCode: number = 1;
}

/** Bad options (node count, prefix …). */
export class LabInputError extends LabError {
  override readonly name = 'LabInputError';
  readonly code = 'lab-input';
  override readonly exitCode = 2;
}

export class LabNotRootError extends LabError {
  override readonly name = 'LabNotRootError';
  readonly code = 'lab-not-root';
  override readonly exitCode = 2;
  constructor(command: string) {
    super(`needs root: the lab lives in network namespaces (wren lab ${command} as root, e.g. with sudo)`);
  }
}

/** A program the lab runs is not installed; the message says which Debian package has it. */
export class LabMissingToolError extends LabError {
  override readonly name = 'LabMissingToolError';
  readonly code = 'lab-missing-tool';
  override readonly exitCode = 2;
  constructor(
    readonly tool: string,
    readonly debianPackage: string,
  ) {
    super(`\`${tool}\` is not installed; install it with: apt-get install ${debianPackage}`);
  }
}

export class LabExistsError extends LabError {
  override readonly name = 'LabExistsError';
  readonly code = 'lab-exists';
  override readonly exitCode = 2;
}

export class NoLabError extends LabError {
  override readonly name = 'NoLabError';
  readonly code = 'lab-none';
  override readonly exitCode = 2;
  constructor(readonly dir: string) {
    super(`no lab in ${dir} (create one with: wren lab up)`);
  }
}

/** A command the lab ran (ip, etcd, wren …) failed; carries its output. */
export class LabCommandError extends LabError {
  override readonly name = 'LabCommandError';
  readonly code = 'lab-command-failed';
  constructor(
    readonly command: string,
    readonly exit: number | string,
    readonly stderr: string,
    readonly stdout: string,
  ) {
    super(`command failed (exit ${exit}): ${command}${clip(stderr) ? `\n${clip(stderr)}` : ''}${clip(stdout) ? `\n${clip(stdout)}` : ''}`);
  }
}

/** Something the lab waited for did not happen in time; the message says what was last seen. */
export class LabTimeoutError extends LabError {
  override readonly name = 'LabTimeoutError';
  readonly code = 'lab-timeout';
}

/** A daemon of the lab exited while the lab was being built; carries its log tail. */
export class LabProcessExitedError extends LabError {
  override readonly name = 'LabProcessExitedError';
  readonly code = 'lab-process-exited';
}

/** A daemon refused a step of building the lab (a pod it could not wire …). */
export class LabStepError extends LabError {
  override readonly name = 'LabStepError';
  readonly code = 'lab-step-failed';
}

/** The lab's state file is unreadable or from another version. */
export class LabStateError extends LabError {
  override readonly name = 'LabStateError';
  readonly code = 'lab-state';
}

function clip(text: string, max = 1500): string {
  const t = text.trim();
  return t.length > max ? `${t.slice(0, max)}…` : t;
}
