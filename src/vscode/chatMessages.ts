// VS Code's language-model messages and tools, mapped to core's plain chat types (core/chat/request.ts).
// Parts are told apart by class where the stable API has one, and by shape otherwise: image data parts
// (LanguageModelDataPart) are stable only from VS Code 1.106, and the system role is not in the stable enum.
import * as vscode from 'vscode';
import type { ChatMessage, ChatPart, ChatTool } from '../core/chat/request';

/** The system role as VS Code passes it (LanguageModelChatMessageRole.System, proposed API). */
const SYSTEM_ROLE = 3;

export function toChatMessages(messages: readonly vscode.LanguageModelChatRequestMessage[]): ChatMessage[] {
  return messages.map((m) => ({
    role:
      (m.role as number) === SYSTEM_ROLE
        ? 'system'
        : m.role === vscode.LanguageModelChatMessageRole.Assistant
          ? 'assistant'
          : 'user',
    parts: m.content.map(toPart).filter((p): p is ChatPart => p !== undefined),
    ...(m.name ? { name: m.name } : {}),
  }));
}

export function toChatTools(tools: readonly vscode.LanguageModelChatTool[] | undefined): ChatTool[] {
  return (tools ?? []).map((t) => ({
    name: t.name,
    description: t.description,
    inputSchema: t.inputSchema as object | undefined,
  }));
}

function toPart(p: unknown): ChatPart | undefined {
  if (p instanceof vscode.LanguageModelTextPart) return { kind: 'text', text: p.value };
  if (p instanceof vscode.LanguageModelToolCallPart)
    return { kind: 'toolCall', callId: p.callId, name: p.name, input: p.input };
  if (p instanceof vscode.LanguageModelToolResultPart)
    return { kind: 'toolResult', callId: p.callId, content: resultText(p.content) };
  const data = dataPart(p);
  if (data) {
    if (data.mimeType.startsWith('image/')) return { kind: 'image', mime: data.mimeType, data: data.data };
    if (/^text\/|json/.test(data.mimeType)) return { kind: 'text', text: Buffer.from(data.data).toString('utf8') };
  }
  return undefined; // a part this provider cannot send (e.g. a prompt-tsx element): left out
}

/** A tool result's content as the text OpenAI's "tool" message carries. */
function resultText(content: readonly unknown[]): string {
  return content
    .map((c) => {
      if (c instanceof vscode.LanguageModelTextPart) return c.value;
      const data = dataPart(c);
      if (data && /^text\/|json/.test(data.mimeType)) return Buffer.from(data.data).toString('utf8');
      try {
        return JSON.stringify(c);
      } catch {
        return String(c);
      }
    })
    .join('');
}

function dataPart(p: unknown): { mimeType: string; data: Uint8Array } | undefined {
  const d = p as { mimeType?: unknown; data?: unknown } | null;
  return d && typeof d === 'object' && typeof d.mimeType === 'string' && d.data instanceof Uint8Array
    ? { mimeType: d.mimeType, data: d.data }
    : undefined;
}
