// Types for bundle.mjs, for the server's TypeScript.
export declare const WIDGET_DIR: URL;
export declare const DIST_FILE: URL;
export declare const GZIP_BUDGET_BYTES: number;
export declare const widgetOptions: Record<string, unknown>;
export declare function bundleWidget(): Promise<string>;
export declare function gzipSize(code: string | Uint8Array): number;
export declare function newestSourceMtime(): number;
export declare const tsconfigRaw: Record<string, unknown>;
