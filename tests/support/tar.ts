/** Just enough of the tar format to stream one file: a ustar header, the data, padding, the end. */

/** The 512-byte header of a regular file `name` of `size` bytes. */
export function tarHeader(name: string, size: number): Buffer {
  const header = Buffer.alloc(512)
  const field = (offset: number, length: number, value: string) =>
    header.write(value, offset, length, 'latin1')
  const octal = (value: number, length: number) => value.toString(8).padStart(length - 1, '0') + '\0'
  field(0, 100, name)
  field(100, 8, octal(0o644, 8))
  field(108, 8, octal(0, 8))
  field(116, 8, octal(0, 8))
  field(124, 12, octal(size, 12))
  field(136, 12, octal(Math.floor(Date.now() / 1000), 12))
  field(148, 8, '        ') // blanks while the checksum is summed
  field(156, 1, '0')
  field(257, 6, 'ustar\0')
  field(263, 2, '00')
  let sum = 0
  for (const byte of header) sum += byte
  field(148, 8, sum.toString(8).padStart(6, '0') + '\0 ')
  return header
}

/** A whole tar of one file. */
export function tarOf(name: string, data: Buffer): Buffer {
  const padding = Buffer.alloc((512 - (data.length % 512)) % 512)
  return Buffer.concat([tarHeader(name, data.length), data, padding, Buffer.alloc(1024)])
}
