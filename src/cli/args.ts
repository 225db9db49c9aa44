import { parseArgs } from 'node:util';
import { errorMessage } from '../core/errors.js';

export type OptionSpec = Record<string, { type: 'string' | 'boolean'; multiple?: boolean }>;

export interface ParsedCommand {
  readonly values: Record<string, string | boolean | undefined>;
  readonly positionals: string[];
}

/**
 * Parses `sensorhub <command> …` strictly (positionals allowed, `--help` added). A mistake prints it with
 * the command's help and gives exit status 2; `--help` prints the help and gives 0. Returns the parsed
 * call, or the exit status when there is nothing more to do.
 */
export function parseCommand(
  command: string,
  argv: string[],
  options: OptionSpec,
  help: string,
): ParsedCommand | number {
  let parsed: ParsedCommand;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: { ...options, help: { type: 'boolean' } },
    }) as ParsedCommand;
  } catch (err) {
    process.stderr.write(`sensorhub ${command}: ${errorMessage(err)}\n\n${help}`);
    return 2;
  }
  if (parsed.values.help) {
    process.stdout.write(help);
    return 0;
  }
  return parsed;
}

/** Prints the help for a call that is incomplete (missing action, argument or required flag): status 2. */
export function usage(help: string): number {
  process.stderr.write(help);
  return 2;
}
