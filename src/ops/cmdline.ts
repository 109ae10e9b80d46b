/** The flags a server was started with, from its NUL-separated command line; null if it is not Eclipso. */
export function serverFlags(cmdline: string): string[] | null {
  const argv = cmdline.split('\0');
  if (argv[argv.length - 1] === '') argv.pop();
  const main = argv.findIndex((a) => /(^|\/)dist\/main\.js$/.test(a));
  return main < 0 ? null : argv.slice(main + 1);
}
