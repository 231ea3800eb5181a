/**
 * The `certgate` command line: picks the command from the first argument and runs it. `main` is
 * what the bin entry (./certgate.ts) calls with the process's arguments and streams, and what the
 * tests call in-process with recorders.
 * May import: the modules of this folder.
 */
import { EXIT_CODES, type CommandIo, type ExitCode } from './commandIo.js';
import { runDecisionsCommand } from './decisionsCommand.js';
import { runVerifyCommand } from './verifyCommand.js';

/** The top-level usage text. */
export const CERTGATE_USAGE = `Usage: certgate <command> [options]

Commands:
  verify    validate a client certificate path against trusted CAs (certgate verify --help)
  decisions the decision log through the management API: list, show <correlation id>, impact <policy id>
            (certgate decisions --help)
  help      show this help

Exit codes: 0 valid, 1 invalid, 2 usage error or unreadable file.
`;

/**
 * Run the certgate CLI. `argv` is the arguments after the program name (`process.argv.slice(2)`).
 * Returns the exit code; never calls `process.exit`.
 */
export async function main(argv: readonly string[], io: CommandIo): Promise<ExitCode> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'verify':
      return runVerifyCommand(rest, io);
    case 'decisions':
      return runDecisionsCommand(rest, io);
    case 'help':
    case '--help':
    case '-h':
      io.stdout.write(CERTGATE_USAGE);
      return EXIT_CODES.valid;
    case undefined:
      io.stderr.write(`certgate: a command is required\n${CERTGATE_USAGE}`);
      return EXIT_CODES.usage;
    default:
      io.stderr.write(`certgate: unknown command '${command}'\n${CERTGATE_USAGE}`);
      return EXIT_CODES.usage;
  }
}
