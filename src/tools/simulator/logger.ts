/** The slice of pino's Logger the simulator uses; a pino logger (or child) fits as is. */
export interface SimulatorLogger {
  debug(object: object, message?: string): void;
  info(object: object, message?: string): void;
  warn(object: object, message?: string): void;
  error(object: object, message?: string): void;
}

const ignore = (): void => {};

/** The default: the simulator is silent unless given a logger. */
export const silentLogger: SimulatorLogger = { debug: ignore, info: ignore, warn: ignore, error: ignore };
