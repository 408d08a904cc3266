// A consumer of the Language Model API, as another extension uses it: lmClient.run(script) selects
// OpenRouter Quota's models (vendor "openrouter-quota") and runs one of a few scripted conversations,
// returning what it saw (and writing it to $LM_CLIENT_OUT when set, for a run driven from the palette).
// Used only by the e2e tests (e2e/codeServer.mjs installs it beside the extension); never shipped.
'use strict';
const fs = require('fs');
const vscode = require('vscode');

const VENDOR = 'openrouter-quota';

async function collect(response) {
  const parts = [];
  for await (const part of response.stream) {
    if (part instanceof vscode.LanguageModelTextPart) parts.push({ kind: 'text', text: part.value });
    else if (part instanceof vscode.LanguageModelToolCallPart)
      parts.push({ kind: 'toolCall', callId: part.callId, name: part.name, input: part.input });
  }
  return parts;
}

async function run(args = {}) {
  const script = args.script ?? 'list';
  const out = { script };
  try {
    const models = await vscode.lm.selectChatModels({ vendor: VENDOR });
    out.models = models.map((m) => ({
      id: m.id,
      name: m.name,
      family: m.family,
      vendor: m.vendor,
      maxInputTokens: m.maxInputTokens,
    }));
    if (script === 'list') return out;
    const model = models.find((m) => m.id === (args.model ?? 'meta-llama/llama-3.3-70b-instruct:free'));
    if (!model) throw new Error(`model ${args.model} not listed`);
    out.tokens = await model.countTokens('Hello there, how many tokens is this?');
    const token = new vscode.CancellationTokenSource();
    if (script === 'chat') {
      const r = await model.sendRequest([vscode.LanguageModelChatMessage.User(args.prompt ?? 'hi')], {}, token.token);
      out.parts = await collect(r);
    } else if (script === 'tools') {
      const tools = [
        {
          name: 'search',
          description: 'Searches the workspace',
          inputSchema: { type: 'object', properties: { query: { type: 'string' } } },
        },
      ];
      const ask = vscode.LanguageModelChatMessage.User('find cats');
      const first = await collect(await model.sendRequest([ask], { tools }, token.token));
      const call = first.find((p) => p.kind === 'toolCall');
      if (!call) throw new Error(`no tool call in ${JSON.stringify(first)}`);
      const second = await collect(
        await model.sendRequest(
          [
            ask,
            vscode.LanguageModelChatMessage.Assistant([
              new vscode.LanguageModelToolCallPart(call.callId, call.name, call.input),
            ]),
            vscode.LanguageModelChatMessage.User([
              new vscode.LanguageModelToolResultPart(call.callId, [new vscode.LanguageModelTextPart('3 cats')]),
            ]),
          ],
          { tools },
          token.token,
        ),
      );
      out.parts = [...first, ...second];
    } else if (script === 'cancel') {
      const r = await model.sendRequest([vscode.LanguageModelChatMessage.User('a long story')], {}, token.token);
      out.parts = [];
      for await (const part of r.stream) {
        if (part instanceof vscode.LanguageModelTextPart) out.parts.push({ kind: 'text', text: part.value });
        token.cancel(); // after the first part
        break;
      }
    }
  } catch (e) {
    out.error = {
      message: e instanceof Error ? e.message : String(e),
      code: e && e.code,
      name: e && e.constructor && e.constructor.name,
    };
  } finally {
    if (process.env.LM_CLIENT_OUT) fs.writeFileSync(process.env.LM_CLIENT_OUT, JSON.stringify(out, null, 2));
  }
  return out;
}

exports.activate = (context) => {
  context.subscriptions.push(vscode.commands.registerCommand('lmClient.run', run));
};
exports.deactivate = () => undefined;
