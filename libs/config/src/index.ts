export { ConfigError, loadConfig, redact, type Config, type LogLevel } from './config.js';
