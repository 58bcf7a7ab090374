export { ConfigError, isHostPort, loadConfig, redact, type Config, type LogLevel } from './config.js';
