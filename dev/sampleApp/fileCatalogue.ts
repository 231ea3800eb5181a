/**
 * The files Contoso Files offers: a small spreadsheet, a larger PDF and a big CSV generated as it
 * streams, each with its content type and exact length. Bodies are deterministic (a seeded byte
 * pattern, numbered CSV rows) so a test can check what arrived without keeping a copy. Dev and test
 * only.
 * May import: node built-ins.
 */
import { Readable } from 'node:stream';

/** One file of the catalogue. */
export interface CatalogueFile {
  readonly name: string;
  readonly contentType: string;
  /** Exact body length in bytes (sent as Content-Length). */
  readonly size: number;
  readonly description: string;
  /** A fresh stream of the body. */
  readonly open: () => Readable;
}

/** Sizes that can be changed (tests shrink the CSV). */
export interface CatalogueSizes {
  /** q3.xlsx, default 40 KiB. */
  readonly spreadsheetBytes?: number;
  /** handbook.pdf, default 1 MiB. */
  readonly pdfBytes?: number;
  /** dataset.csv, default 50 MiB; rounded down to whole rows (at least one). */
  readonly csvBytes?: number;
}

const CHUNK = 64 * 1024;

/** The deterministic byte at `offset` of a patterned body (after its header). */
export function patternByte(offset: number): number {
  return (offset * 31 + (offset >>> 8) * 7) & 0xff;
}

function patternedBody(header: string, size: number): () => Readable {
  const head = Buffer.from(header, 'latin1').subarray(0, size);
  return () => {
    let sent = 0;
    return new Readable({
      read() {
        if (sent >= size) {
          this.push(null);
          return;
        }
        const length = Math.min(CHUNK, size - sent);
        const chunk = Buffer.allocUnsafe(length);
        for (let i = 0; i < length; i++) {
          const at = sent + i;
          chunk[i] = at < head.length ? head[at]! : patternByte(at);
        }
        sent += length;
        this.push(chunk);
      },
    });
  };
}

const CSV_HEADER = 'row,region,product,units,revenue\n';
const REGIONS = ['north', 'south', 'east', 'west'] as const;

/** One CSV row of fixed width (34 bytes with its newline), so the file's length is known in advance. */
export function csvRow(index: number): string {
  const region = REGIONS[index % REGIONS.length]!.padEnd(5, ' ');
  const product = `p${String(index % 1000).padStart(3, '0')}`;
  const units = String((index * 7) % 10000).padStart(4, '0');
  const revenue = String((index * 131) % 1000000).padStart(6, '0');
  return `${String(index).padStart(9, '0')},${region},${product},${units},${revenue}\n`;
}

const CSV_ROW_BYTES = csvRow(0).length;

function csvFile(requestedBytes: number): CatalogueFile {
  const rows = Math.max(1, Math.floor((requestedBytes - CSV_HEADER.length) / CSV_ROW_BYTES));
  const size = CSV_HEADER.length + rows * CSV_ROW_BYTES;
  const rowsPerChunk = Math.max(1, Math.floor(CHUNK / CSV_ROW_BYTES));
  return {
    name: 'dataset.csv',
    contentType: 'text/csv; charset=utf-8',
    size,
    description: `Sales dataset, ${rows.toLocaleString('en')} rows, generated as it streams`,
    open: () => {
      let next = -1;
      return new Readable({
        read() {
          if (next === -1) {
            next = 0;
            this.push(CSV_HEADER);
            return;
          }
          if (next >= rows) {
            this.push(null);
            return;
          }
          const end = Math.min(rows, next + rowsPerChunk);
          let text = '';
          for (let i = next; i < end; i++) text += csvRow(i);
          next = end;
          this.push(text);
        },
      });
    },
  };
}

/** The catalogue, in display order. */
export function fileCatalogue(sizes: CatalogueSizes = {}): readonly CatalogueFile[] {
  const spreadsheetBytes = sizes.spreadsheetBytes ?? 40 * 1024;
  const pdfBytes = sizes.pdfBytes ?? 1024 * 1024;
  return [
    {
      name: 'q3.xlsx',
      contentType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
      size: spreadsheetBytes,
      description: 'Q3 results (finance)',
      // An xlsx is a zip: the local-file-header magic, then the pattern.
      open: patternedBody('PK\u0003\u0004', spreadsheetBytes),
    },
    {
      name: 'handbook.pdf',
      contentType: 'application/pdf',
      size: pdfBytes,
      description: 'Employee handbook',
      open: patternedBody('%PDF-1.7\n%\u00e2\u00e3\u00cf\u00d3\n', pdfBytes),
    },
    csvFile(sizes.csvBytes ?? 50 * 1024 * 1024),
  ];
}
