export { ConfigError, isDialAddress, isHostPort, loadConfig, redact, redactUrl, systemPath, type Config, type LogFormatSetting, type LogLevel } from './config.js';
