export const SOFTWARE_VERSION = "0.1.0";
