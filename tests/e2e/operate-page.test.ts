/**
 * The admin listener's live page in a real headless Chromium (Debian's chromium, driven by
 * playwright-core) against three real engines: it lists the hosts, shows a container created through
 * flocker on the host it went to, and shows a host going unhealthy when its engine stops.
 * `UPDATE_SCREENSHOT=1` rewrites docs/admin-page.png, the README's picture.
 */
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { after, before, describe, test } from 'node:test'
import { type Browser, chromium, type Page } from 'playwright-core'
import { docker, dockerOk, IMAGE, NET } from '../support/docker.ts'
import { enginesForFile } from '../support/engines.ts'
import { freePort, type RunningFlocker, runtimes, startFlocker } from '../support/flocker.ts'

const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium'
const SCREENSHOT = fileURLToPath(new URL('../../docs/admin-page.png', import.meta.url))
const engines = enginesForFile(3, { 1: ['zone=a'], 2: ['zone=b'] }, { registry: false })
const runtime = runtimes()[0]!

describe(`the live page in Chromium (flocker on ${runtime})`, () => {
  let flocker: RunningFlocker
  let browser: Browser
  let page: Page
  let admin: string
  before(async () => {
    assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: scripts/install.sh installs Debian's chromium`)
    const port = await freePort()
    admin = `http://127.0.0.1:${port}/`
    flocker = await startFlocker(runtime, [
      ...engines().engines.map((e) => `--node=${e.flag}`),
      '--admin',
      `tcp://127.0.0.1:${port}`,
      // A loaded machine (CI, two cores) can take seconds to answer /info: only a stopped engine,
      // which refuses at once, may turn unhealthy here.
      '--health-interval',
      '1000',
      '--health-timeout',
      '30000',
      '--health-threshold',
      '2',
    ])
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] })
    page = await browser.newPage({ viewport: { width: 1100, height: 760 } })
    await page.goto(admin)
  })
  after(async () => {
    if (process.env.DEBUG_FLOCKER) console.log(flocker?.output())
    await browser?.close()
    await docker(engines().engines[0]!.url, ['rm', '-f', 'page-web'])
    await docker(engines().engines[1]!.url, ['rm', '-f', 'page-web'])
    await docker(engines().engines[2]!.url, ['rm', '-f', 'page-web'])
    await flocker?.stop()
  })

  const card = (host: string) => page.locator(`article.host[data-host="${host}"]`)

  test('the page lists the three hosts, healthy, with their engines and labels', async () => {
    for (const host of ['node1', 'node2', 'node3']) {
      await card(host).and(page.locator('.healthy')).waitFor({ timeout: 30_000 })
      assert.match(await card(host).innerText(), /engine\s+20\.10/)
    }
    assert.match(await card('node1').innerText(), /zone=a/)
    assert.equal(await page.locator('#live').innerText(), 'live')
  })

  test('a container created through flocker shows on the host it went to, within seconds', async () => {
    await dockerOk(flocker.dockerHost, ['run', '-d', '--name', 'page-web', ...NET, IMAGE, 'sleep', '300'])
    const host = (await dockerOk(flocker.dockerHost, [
      'inspect',
      '--format',
      '{{index .Config.Labels "flocker.host"}}',
      'page-web',
    ])).trim()
    const row = page.locator('tr.placement', { has: page.locator('td.container', { hasText: 'page-web' }) })
    await row.waitFor({ timeout: 10_000 })
    assert.equal(await row.locator('td.to').innerText(), host)
    assert.match(await row.locator('td.reason').innerText(), /scheduler: spread over 3 hosts/)
    // The host's count follows at its next health check.
    await card(host).locator('.containers', { hasText: /^1 running/ }).waitFor({ timeout: 10_000 })
  })

  test('a host whose engine stops turns unhealthy on the page, with its error', async () => {
    await engines().stop(3)
    try {
      await card('node3').and(page.locator('.unhealthy')).waitFor({ timeout: 30_000 })
      assert.match(await card('node3').innerText(), /error/)
      assert.match(await page.locator('#errors').innerText(), /host node3 unhealthy/)
      assert.match(await page.locator('#summary').innerText(), /2 of 3 hosts healthy/)
      if (process.env.UPDATE_SCREENSHOT) await page.screenshot({ path: SCREENSHOT, fullPage: true })
      const phone = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true })
      await phone.goto(admin)
      await phone.locator('article.host').first().waitFor()
      // Cards stack in one column on a phone, and nothing is wider than the screen.
      const width = await phone.evaluate(() => document.documentElement.scrollWidth)
      assert.ok(width <= 390, `page is ${width}px wide on a 390px phone`)
      await phone.close()
    } finally {
      await engines().start(3)
    }
  })
})
