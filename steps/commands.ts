import type { CommandSpec } from './core/command.js';
import { command as run } from './run/command.js';
import { command as sim } from './sim/command.js';
import { command as sweep } from './sweep/command.js';
import { command as analyze } from './analyze/command.js';
import { command as importCmd } from './import/command.js';
import { command as plot } from './plot/command.js';
import { command as report } from './report/command.js';
import { command as render } from './render/command.js';
import { command as apply } from './apply/command.js';
import { command as wait } from './wait/command.js';
import { command as teardown } from './teardown/command.js';
import { command as build } from './build/command.js';

/** Every command, registered under the word users type (design.md's CLI contract). */
export const COMMANDS: CommandSpec[] = [run, sim, sweep, analyze, importCmd, plot, report, render, apply, wait, teardown, build];
