import QRCode from 'qrcode';

/**
 * The otpauth:// URI as an SVG QR code, drawn on the server so the secret never goes to a
 * third-party QR service and the page needs no script to draw it.
 */
export function qrSvg(uri: string): Promise<string> {
  return QRCode.toString(uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
}
