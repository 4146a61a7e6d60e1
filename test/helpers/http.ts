// Waiting for a server a container just started (published ports answer once it listens).

/** The body of GET url once it answers, or "" after `tries` attempts `pauseMs` apart. */
export async function bodyWhenUp(url: string, tries = 40, pauseMs = 250): Promise<string> {
  for (let i = 0; i < tries; i++) {
    const body = await fetch(url).then(
      (r) => r.text(),
      () => "",
    );
    if (body !== "") return body;
    await new Promise((r) => setTimeout(r, pauseMs));
  }
  return "";
}
