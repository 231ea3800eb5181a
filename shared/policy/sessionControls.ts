/**
 * The controls of a session policy, as the policy model validates them: `block-download` (a
 * response that is a file), `block-upload` (a request that carries a file) and `monitor` (record
 * only), each with an optional message for the person blocked and an optional alert. A control's
 * `files` says what counts as a file; any criterion it lists is enough. Kept apart from the model
 * (which adds the policy around them) so that the session core compiles controls without the
 * configuration document.
 * Media types and extensions are normalised here (lower case, no leading dot) so the core
 * compares plain strings.
 * May import: zod, the field schemas.
 */
import { z } from 'zod';
import { checked } from './fieldSchemas.js';

const MARKUP = /<[a-z!/?]/i;
// eslint-disable-next-line no-control-regex -- messages may span lines, nothing else
const CONTROL_EXCEPT_NEWLINE = /[\u0000-\u0009\u000b-\u001f\u007f]/;

/** A media type token (RFC 9110 `token`). */
const TOKEN = '[a-z0-9!#$&^_.+-]+';
const MEDIA_TYPE = new RegExp(`^${TOKEN}/(?:\\*|${TOKEN})$`, 'i');
const EXTENSION = /^\.?[a-z0-9][a-z0-9_+-]*(?:\.[a-z0-9][a-z0-9_+-]*)*$/i;
const METHOD = /^[A-Za-z]+$/;

/** A media type such as `application/pdf`, or a whole top-level type `application/*`; stored lower-case. */
const mediaType = checked(
  z.string().min(3).max(127),
  (value) => MEDIA_TYPE.test(value),
  'invalid-media-type',
  'expected a media type such as application/pdf, or type/* (no parameters)',
).transform((value) => value.toLowerCase());

/** A file name extension such as `xlsx`, `.xlsx` or `tar.gz`; stored lower-case without the leading dot. */
const extension = checked(
  z.string().min(1).max(32),
  (value) => EXTENSION.test(value),
  'invalid-extension',
  'expected a file name extension such as xlsx, .xlsx or tar.gz (letters, digits, _ + -)',
).transform((value) => value.replace(/^\./, '').toLowerCase());

/** An HTTP method; stored upper-case. */
const method = checked(
  z.string().min(1).max(20),
  (value) => METHOD.test(value),
  'invalid-method',
  'expected an HTTP method such as PUT',
).transform((value) => value.toUpperCase());

/** The message shown to the person a control blocks. */
export const sessionMessage = checked(
  z.string().min(1).max(500),
  (value) => !CONTROL_EXCEPT_NEWLINE.test(value) && !MARKUP.test(value),
  'invalid-text',
  'plain text only: no control characters or markup',
);

/** An alert raised each time the control acts (enforced policies only). */
export const SessionAlertSchema = z.strictObject({ severity: z.enum(['low', 'medium', 'high']) });

/** What makes a response a file; any listed criterion is enough. */
export const DownloadFilesSchema = z
  .strictObject({
    /**
     * `Content-Disposition` says `attachment` (or any type other than `inline`, as RFC 6266 asks
     * recipients to treat unknown types), in any casing or parameter form.
     */
    attachment: z.boolean().optional(),
    /** The response's media type (parameters and casing ignored) is one of these; `type/*` covers a top-level type. */
    contentTypes: z.array(mediaType).min(1).max(100).optional(),
    /** The decoded request path's last segment, or the Content-Disposition file name, ends with one of these. */
    extensions: z.array(extension).min(1).max(100).optional(),
    /** The whole file is larger than this; `unknownSize` says what an unknown length (chunked, no length) counts as. */
    largerThan: z
      .strictObject({
        bytes: z.int().min(0).max(Number.MAX_SAFE_INTEGER),
        unknownSize: z.enum(['file', 'not-file']).default('file'),
      })
      .optional(),
  })
  .refine(
    (files) =>
      files.attachment === true ||
      files.contentTypes !== undefined ||
      files.extensions !== undefined ||
      files.largerThan !== undefined,
    {
      message: 'list at least one of attachment: true, contentTypes, extensions, largerThan',
      params: { code: 'empty-file-filter' },
    },
  );

/** What makes a response a file. */
export type DownloadFiles = z.infer<typeof DownloadFilesSchema>;

/** What makes a request an upload; any listed criterion is enough. */
export const UploadFilesSchema = z
  .strictObject({
    /**
     * A multipart body with a file part (a part whose Content-Disposition has a file name, or that
     * declares a Content-Type other than text/plain). The gate inspects the stream; where the body
     * cannot be inspected (forward auth, an encoded or malformed body) every multipart request counts.
     */
    multipartFile: z.boolean().optional(),
    /** The request's media type (parameters and casing ignored) is one of these. */
    contentTypes: z.array(mediaType).min(1).max(100).optional(),
    /** The request's method is one of these (e.g. PUT for WebDAV-style uploads). */
    methods: z.array(method).min(1).max(20).optional(),
  })
  .refine((files) => files.multipartFile === true || files.contentTypes !== undefined || files.methods !== undefined, {
    message: 'list at least one of multipartFile: true, contentTypes, methods',
    params: { code: 'empty-file-filter' },
  });

/** What makes a request an upload. */
export type UploadFiles = z.infer<typeof UploadFilesSchema>;

/** Blocks responses that are files. */
export const BlockDownloadControlSchema = z.strictObject({
  type: z.literal('block-download'),
  /** Default: `{ "attachment": true }`. */
  files: DownloadFilesSchema.default({ attachment: true }),
  message: sessionMessage.optional(),
  alert: SessionAlertSchema.optional(),
});

/** Blocks requests that carry files. */
export const BlockUploadControlSchema = z.strictObject({
  type: z.literal('block-upload'),
  /** Default: `{ "multipartFile": true }`. */
  files: UploadFilesSchema.default({ multipartFile: true }),
  message: sessionMessage.optional(),
  alert: SessionAlertSchema.optional(),
});

/** Records every request of the session (and alerts on each when asked). */
export const MonitorControlSchema = z.strictObject({
  type: z.literal('monitor'),
  message: sessionMessage.optional(),
  alert: SessionAlertSchema.optional(),
});

/** One control of a session policy, by `type`. */
export const SessionControlSchema = z.discriminatedUnion('type', [
  BlockDownloadControlSchema,
  BlockUploadControlSchema,
  MonitorControlSchema,
]);

/** A session control (as validated, defaults applied). */
export type SessionControl = z.infer<typeof SessionControlSchema>;

/** The control types, in documentation order. */
export const SESSION_CONTROL_TYPES = ['block-download', 'block-upload', 'monitor'] as const;

/** A control type. */
export type SessionControlType = (typeof SESSION_CONTROL_TYPES)[number];
