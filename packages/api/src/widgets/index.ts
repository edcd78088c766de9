// What other entry points (the public widget session, sockets) need to read a widget's settings.
export {
  resolveWidgetSettings,
  WIDGET_DEFAULTS,
  type WidgetSettings,
  widgetSettingsInput,
} from './settings.ts';
export { createWidget, type Widget } from './store.ts';
