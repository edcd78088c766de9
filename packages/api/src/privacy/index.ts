export { ARCHIVE_FORMAT, unpackArchive } from './archive.ts';
export type { ExportDownload } from './download.ts';
export { PRIVACY_QUEUE } from './queue.ts';
export {
  createPrivacyService,
  type PrivacyService,
  type PrivacyServiceOptions,
  type PrivacySettings,
} from './service.ts';
