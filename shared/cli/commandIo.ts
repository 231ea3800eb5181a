/**
 * What a certgate CLI command gets from its caller and gives back: text sinks for stdout and
 * stderr, the clock (injected so tests can freeze it), and the exit codes. The bin entry wires
 * these to the process; tests pass recorders.
 * May import: nothing.
 */

/** Somewhere to write text (process.stdout, process.stderr, or a test recorder). */
export interface TextSink {
  write(text: string): unknown;
}

/** The command's view of its environment. */
export interface CommandIo {
  readonly stdout: TextSink;
  readonly stderr: TextSink;
  /** The current time, when a command needs one and the user gave none; default: the system clock. */
  readonly now?: () => Date;
}

/** Exit codes of every command: a verdict is 0 or 1, anything the user must fix is 2. */
export const EXIT_CODES = {
  /** The certificate is valid (or help was printed). */
  valid: 0,
  /** The certificate is invalid: a verdict, with a reason code. */
  invalid: 1,
  /** A usage error, an unreadable or unusable input file, or an invalid validation request. */
  usage: 2,
} as const;

/** One of {@link EXIT_CODES}. */
export type ExitCode = (typeof EXIT_CODES)[keyof typeof EXIT_CODES];
