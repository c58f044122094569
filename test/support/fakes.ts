import { Logger } from "@aws-lambda-powertools/logger";

/** A Powertools logger that writes nothing; tests spy on it where what is logged matters. */
export const silentLogger = () => new Logger({ serviceName: "test", logLevel: "SILENT" });

/** A clock the test moves by hand. */
export const manualClock = (start = new Date("2026-03-01T10:00:00.000Z")) => {
  let current = start.getTime();
  return {
    now: () => new Date(current),
    advance: (seconds: number) => {
      current += seconds * 1000;
    },
  };
};
