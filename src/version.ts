/** flocker's version: the one place it is written (a unit test keeps package.json and deno.json equal to it). */
export const FLOCKER_VERSION = '0.1.0'
