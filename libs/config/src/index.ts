export { ConfigError, isHostPort, loadConfig, redact, redactUrl, systemPath, type Config, type LogFormatSetting, type LogLevel } from './config.js';
