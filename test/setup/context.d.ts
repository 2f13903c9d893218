import 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    workflowBundlePath: string;
    testServerPath: string;
    temporalAddress: string;
    databaseUrl: string;
    smtpUrl: string;
    smtpHttpUrl: string;
    smsUrl: string;
  }
}
