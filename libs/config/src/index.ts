export { ConfigError, isDialAddress, isHostPort, loadConfig, redact, redactUrl, systemPath, type Config, type LogLevel } from './config.js';
