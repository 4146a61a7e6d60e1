// What `wharf version` and `wharf -v` report about the CLI itself.
export const cliVersion = "0.1.0";
export const prog = "wharf";
