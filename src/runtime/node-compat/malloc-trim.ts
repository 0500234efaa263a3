import { Buffer } from 'node:buffer'

/**
 * Just under glibc's cap on its dynamic mmap threshold (32 MiB on 64-bit): a freed mmapped block up to
 * that size raises the threshold to its size, and the heap's trim threshold to twice it.
 */
const BLOCK = 32 * 1024 * 1024 - 64 * 1024

/**
 * Keeps the pages a garbage collection frees for the next socket reads. Every read is a fresh
 * malloc of up to 64 KiB, and a scavenge frees tens of MB of them at once; glibc gives the heap's
 * free top back to the kernel past its trim threshold (128 KiB until a large freed block raises it),
 * so the reads after it fault in zeroed pages again. Whether a process does so depended on its heap's
 * layout: 0.2k to 127k page faults per GiB through flocker processes of the same code, the CPU per
 * GiB of exec up to half as much again. One large block allocated and dropped here (never touched:
 * no RSS) raises the threshold for good once collected. No effect where malloc is not glibc's.
 */
export function keepFreedReadPages(): void {
  Buffer.allocUnsafeSlow(BLOCK)
}
