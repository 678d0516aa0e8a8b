import { notBuilt } from '../core/command.js';
export const command = notBuilt('teardown', 'Remove what apply created and wait until it is gone');
