// Splits a command string into words as compose does for `command: echo "a b"` (shell quoting
// rules without expansion): spaces separate words, single quotes are literal, double quotes and
// backslashes escape.

export function splitShellWords(input: string): string[] {
  const words: string[] = [];
  let cur = "";
  let inWord = false;
  let quote: "'" | '"' | undefined;
  for (let i = 0; i < input.length; i++) {
    const c = input[i] as string;
    if (quote === "'") {
      if (c === "'") quote = undefined;
      else cur += c;
      continue;
    }
    if (quote === '"') {
      if (c === '"') quote = undefined;
      else if (c === "\\" && i + 1 < input.length && '"\\$`\n'.includes(input[i + 1] as string))
        cur += input[++i];
      else cur += c;
      continue;
    }
    if (c === "\\" && i + 1 < input.length) {
      cur += input[++i];
      inWord = true;
    } else if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(cur);
      cur = "";
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (quote) throw new Error(`invalid command line string: unclosed quote in ${JSON.stringify(input)}`);
  if (inWord) words.push(cur);
  return words;
}
