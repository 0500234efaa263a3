import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createFlocker } from '../../src/app.ts'
import { startRecordingEngine } from '../support/recording-engine.ts'

test('an endpoint newer than the table waits for the first list answer, as the table routes do', async () => {
  const engine = await startRecordingEngine()
  engine.route((req, res) => {
    if (!req.url?.startsWith('/v1.99/brand/new')) return false
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"new":true}')
    return true
  })
  let answerList!: () => void
  const listed = new Promise<void>((resolve) => answerList = resolve)
  const app = createFlocker({
    hooks: {
      list: async () => {
        await listed
        return [`node1=${engine.url}`]
      },
    },
  })
  try {
    const early = app.fetch(new Request('http://flocker/v1.99/brand/new'), {})
    answerList()
    const response = await early
    assert.equal(response.status, 200)
    assert.deepEqual(await response.json(), { new: true })
  } finally {
    await app.close()
    await engine.close()
  }
})
