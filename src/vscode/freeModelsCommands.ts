// OpenRouter: Free Models: a quick pick of the free models, healthiest first (the local proxy's last hour,
// else the catalog's, untried), then what to do with the one picked: copy its id, add it to the fallback
// list, or make it the only fallback. The words come from core (quotaText.ts); runModelAction does the rest.
import * as vscode from 'vscode';
import type { ModelHealthRow } from '../core/fallback/types';
import { FREE_MODEL_CHOICES, FREE_MODELS_TEXT, MODEL_HEALTH_LABEL, modelHealthDetail } from '../core/quotaText';
import { healthLevel } from '../core/freeModels';
import type { ModelAction } from '../shared/actions';
import { runModelAction } from './actions';
import type { Services } from './services';

interface ModelItem extends vscode.QuickPickItem {
  row: ModelHealthRow;
}

interface ChoiceItem extends vscode.QuickPickItem {
  action: ModelAction;
}

/** $(pass) healthy, $(warning) some trouble, $(error) struggling, $(circle-outline) untried. */
const HEALTH_ICON = { good: '$(pass)', fair: '$(warning)', poor: '$(error)', untried: '$(circle-outline)' } as const;

export function freeModelItem(row: ModelHealthRow): ModelItem {
  const level = healthLevel(row);
  return {
    label: `${HEALTH_ICON[level]} ${row.name}`,
    description: row.id,
    detail: `${MODEL_HEALTH_LABEL[level]} · ${modelHealthDetail(row)}`,
    row,
  };
}

export async function showFreeModels(services: Services): Promise<void> {
  if (!services.session) {
    void vscode.window.showWarningMessage(FREE_MODELS_TEXT.pickNone);
    return;
  }
  const models = await services.freeModels();
  if (!models?.rows.length) {
    void vscode.window.showWarningMessage(FREE_MODELS_TEXT.pickNone);
    return;
  }
  const picked = await vscode.window.showQuickPick(models.rows.map(freeModelItem), {
    title: FREE_MODELS_TEXT.title,
    placeHolder: models.source === 'meter' ? FREE_MODELS_TEXT.pickPlaceholder : FREE_MODELS_TEXT.pickCatalogPlaceholder,
    matchOnDescription: true,
    matchOnDetail: true,
  });
  if (!picked) return;
  const choices: ChoiceItem[] = [
    { label: `$(copy) ${FREE_MODEL_CHOICES.copy}`, action: 'copyModelId' },
    { label: `$(add) ${FREE_MODEL_CHOICES.add}`, action: 'addFallbackModel' },
    { label: `$(arrow-swap) ${FREE_MODEL_CHOICES.only}`, action: 'setFallbackModels' },
  ];
  const choice = await vscode.window.showQuickPick(choices, { title: picked.row.name, placeHolder: picked.row.id });
  if (choice) await runModelAction(choice.action, [picked.row.id], services.log);
}
