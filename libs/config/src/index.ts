export { ConfigError, isHostPort, loadConfig, redact, systemPath, type Config, type LogLevel } from './config.js';
