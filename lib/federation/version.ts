export const SOFTWARE_VERSION = "0.2.0";
