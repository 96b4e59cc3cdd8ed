// i18n.js - English and Spanish strings. The language comes from the saved choice, else from
// navigator.language; the switch in the header changes it at once.
//   t('key', {n: 3}) -> string with {n} replaced;  className('ig') -> the class's name in the language
export const STRINGS = {
  en: {
    'skip': 'Skip to content',
    'tagline': 'Blood cell images classified on this device. No image leaves it.',
    'lang.label': 'Language',
    'tabs.label': 'Views',
    'tab.cell': 'Cell', 'tab.review': 'Review', 'tab.map': 'Map', 'tab.about': 'About',
    'update.text': 'A new version of the app is available.',
    'update.reload': 'Update now', 'update.later': 'Later',
    'input.title': 'Add images',
    'input.drop': 'Drop cell images or a folder here, paste an image, or:',
    'input.files': 'Choose images', 'input.folder': 'Choose a folder', 'input.camera': 'Take a photo',
    'status.loading': 'Loading the model…',
    'status.ready': 'Ready. Add images to classify them.',
    'status.modelError': 'The model could not be loaded, so nothing can be classified: {error}',
    'status.notReady': 'The model is still loading; try again in a moment.',
    'status.restored': 'Restored the review in progress: {n} cells.',
    'status.opened': 'Sample {id} is open: {n} cells.', 'status.openedOne': 'Sample {id} is open: 1 cell.',
    'status.openedEmpty': 'Sample {id} is open: no cells yet. Add images above.',
    'status.skipped': '{n} files that are not images were skipped.',
    'status.done': 'Classified {n} images in {s} s ({rate} images/s).',
    'status.doneOne': 'Classified {name} in {ms} ms.',
    'status.cancelled': 'Cancelled: {done} of {total} images classified.',
    'status.cleared': 'The cells of sample {id} were cleared.',
    'status.noImages': 'No image files found.',
    'status.mapError': 'Reference map not available ({error}): cells are not placed on the map or checked for being out of distribution.',
    'status.pasted': 'Pasted image',
    'progress.cancel': 'Cancel',
    'progress.text': '{done} / {total} · {rate} images/s',
    'examples.title': 'Examples',
    'examples.note': 'Two PBC dataset images per class (CC BY 4.0) and two whole-field photos (BCDD, MIT; pig blood by phone, CC0). Click one to classify it.',
    'examples.item': 'Classify example: {cls}',
    'cell.empty': 'Add an image or pick an example to see its classification here.',
    'cell.prediction': 'Prediction',
    'cell.confidence': '{p} confidence',
    'cell.probs': 'Probabilities',
    'cell.cam': 'Where the model looked',
    'cam.caption': 'The square the model saw, with its class activation map (red: more evidence for the chosen class).',
    'cam.class': 'Heatmap for',
    'cam.opacity': 'Heatmap opacity',
    'cam.alt': 'Cell image with the heatmap for {cls}',
    'cell.map': 'On the reference-cell map',
    'cell.mapCaption': 'Your cell (ring) among the reference cells.',
    'cell.noMap': 'No reference map loaded.',
    'cell.confirm': 'Confirmed class',
    'cell.ood': 'How unlike the reference cells it is: {score}. Cells above {t} are not counted, because the model was not trained on images like them.',
    'cell.back': 'Back to the review',
    'cell.loadingCam': 'Computing the heatmap…',
    'cell.noImage': 'The image is no longer available.',
    'flag.unidentified': 'Unidentified: the model is less sure of this cell than the confidence threshold ({t}) asks, so it waits for your call.',
    'flag.ood': 'This does not look like a CellaVision-style single-cell image. It is kept out of the differential.',
    'flag.reassigned': 'Reassigned by you (model said {cls}).',
    'flag.error': 'Could not classify: {error}',
    'cell.kind': 'Kind: {kind}', 'cell.kindModel': "the model's call, {p}", 'cell.kindModelNoP': "the model's call",
    'cell.kindUser': 'your choice; the model gave it {p}', 'cell.kindChoose': 'Kind of {cls}', 'cell.kindBack': "Back to the model's call",
    'cell.kindNote': 'On our test cells the model named the kind right {acc} of the time, less often than the class: check it.',
    'cell.kindNoteNoCard': 'The kind is harder to call than the class: check it.',
    'diff.kindOf': 'of which', 'gallery.kind': '{kind}',
    'group.unidentified': 'Unidentified', 'group.excluded': 'Not like the reference cells (excluded)', 'group.error': 'Failed',
    'group.empty': 'None',
    'selection.none': 'No cell selected.',
    'reassign.label': 'Move to', 'reassign.open': 'Open cell', 'reassign.auto': 'Model’s call ({cls})',
    'gallery.help': 'Select a cell with a click or the arrow keys, then choose its class (keys 1–8, U for unidentified, 0 for the model’s call) or drag it to a group. Enter opens it.',
    'gallery.item': '{name}: {cls}, {p}',
    'gallery.empty': 'No cells yet. Add images above.',
    'diff.title': 'Differential count',
    'diff.class': 'Class', 'diff.count': 'Count', 'diff.pct': '%',
    'diff.note': 'Percentages are of the {n} white cells counted (the six leukocyte classes); NRBC and platelets are counted apart. Not counted: {u} unidentified, {x} excluded, {f} failed.',
    'diff.chart': 'Differential count chart',
    'diff.wbc': 'White cells (WBC)',
    'diff.abs': '×10⁹/L',
    'diff.apart': 'Counted apart',
    'diff.nrbc': 'NRBC (erythroblasts)',
    'diff.nrbcRate': 'NRBC per 100 WBC',
    'diff.excluded': 'Excluded (unlike the reference)',
    'count.optional': 'optional',
    'diff.platelets': 'Platelets',
    'diff.notCounted': 'Not in the count',
    'diff.wbcLine': 'Analyser WBC {wbc} ×10⁹/L; corrected for NRBC {corrected} ×10⁹/L. Absolute counts use the corrected WBC.',
    'diff.wbcGivenOnly': 'Analyser WBC {wbc} ×10⁹/L. Absolute counts need at least one white cell counted.',
    'count.target': 'Count target',
    'count.targetOption': '{n} WBC',
    'count.progress': 'WBC counted: {n} / {target}',
    'count.done': 'target reached',
    'count.low': 'Low count: {n} of {target} white cells. The percentages are uncertain.',
    'count.none': 'No white cells counted yet.',
    'count.wbc': 'Analyser WBC (×10⁹/L)',
    'count.wbcBad': 'Not a WBC count: type a number such as {example} (×10⁹/L, at most {max}). It is not used.',
    'report.button': 'Report',
    'report.title': 'Differential count report',
    'report.sample': 'Sample ID', 'report.date': 'Sample date', 'report.reviewer': 'Reviewer', 'report.status': 'Review status',
    'report.printed': 'Printed {at}',
    'report.notReviewed': 'not reviewed',
    'report.reviewed': 'reviewed by {by}, {at}',
    'report.noSample': '(no sample ID)',
    'report.cells': 'Cells by class',
    'report.more': '+{n} more',
    'report.noImage': 'no image kept',
    'report.failedFiles': 'Failed files',
    'report.excludedFiles': 'Excluded files',
    'report.software': 'bloodcell {version} · model {model} · confidence threshold {conf} · out-of-distribution threshold {ood}',
    'report.noOod': 'none (no reference map)',
    'report.total': 'All cells', 'report.otherClasses': 'Other classes',
    'report.disclaimer': 'Research and education tool: not a diagnostic device. Not for clinical decisions; a qualified person must check every result.',
    'review.settings': 'Settings and export',
    'review.clear': 'Clear cells',
    'import.button': 'Import review',
    'import.done': 'Imported the review in {name} into sample {id}: {n} cells.',
    'import.doneReviewed': 'Imported the review in {name} into sample {id}: {n} cells, marked reviewed by {by} as in the file.',
    'import.markDropped': 'Imported the review in {name} into sample {id}: {n} cells. The file says it was reviewed, but {u} cells are unidentified here, so it is not marked reviewed.',
    'import.cancelled': 'Nothing was imported: sample {id} was left as it was.',
    'import.bad': 'The review in {name} was not imported, and nothing was changed: {error}.',
    'import.confirm': 'Replace the {n} cells of sample {id} with the review in {name}? Their images and reassignments will be lost.',
    'import.busy': 'Wait for the batch to finish before importing a review.',
    'cell.noImage': 'This cell was imported from a review file without its image, so there is no heatmap.',
    'review.confirmClear': 'Remove all {n} cells of sample {id} (their images and reassignments) from this device? The sample itself stays.',
    'threshold.label': 'Confidence threshold',
    'careful.label': 'Careful mode',
    'careful.note': 'Each cell is classified in 8 orientations (rotated and mirrored) and the results averaged: steadier calls, about 6 times slower. Applies to images added from now on.',
    'careful.cell': 'Classified in careful mode (8 orientations averaged).',
    'threshold.note': 'A cell the model is less sure of than this goes to Unidentified, for you to classify. Higher: fewer mistakes left to the model, more cells for you. The default ({d}) was chosen on the model’s test images: About gives its numbers.',
    'export.csv': 'Export CSV', 'export.json': 'Export JSON',
    'sample.title': 'Sample', 'sample.label': 'Sample',
    'sample.new': 'New', 'sample.edit': 'Rename', 'sample.delete': 'Delete',
    'sample.newFull': 'New sample', 'sample.editFull': 'Rename this sample', 'sample.deleteFull': 'Delete this sample',
    'sample.reviewer': 'Reviewer',
    'sample.id': 'Sample ID',
    'sample.idHelp': 'The slide or accession number, as written on the sample.',
    'sample.date': 'Date',
    'sample.reviewerOptional': 'Reviewer initials (optional)',
    'sample.cancel': 'Cancel',
    'sample.dated': '{date}',
    'sample.notKept': 'This browser does not let the app store data: this sample is kept only while the page is open, and no other sample can be made.',
    'sample.busy': 'Wait for the images being classified to finish (or cancel them) before changing samples.',
    'sample.newTitle': 'New sample', 'sample.editTitle': 'Rename sample',
    'sample.create': 'Create sample', 'sample.save': 'Save',
    'sample.needId': 'Type the sample ID (slide or accession number).',
    'sample.taken': 'A sample with the ID {id} already exists. Choose it in the list, or type another ID.',
    'sample.created': 'Sample {id} created. Images added now go into it.',
    'sample.confirmDelete': 'Delete sample {id} from this device? Its {n} cells, their images, every reassignment and its review mark will be lost. This cannot be undone.',
    'sample.confirmDeleteEmpty': 'Delete the empty sample {id}?',
    'sample.deleted': 'Sample {id} was deleted.',
    'sample.defaultId': 'Sample {n}',
    'signoff.title': 'Mark reviewed', 'signoff.mark': 'Mark reviewed',
    'signoff.initials': 'Your initials',
    'signoff.initialsHelp': 'Required to sign the review off. They are kept as this sample’s reviewer.',
    'signoff.by': 'Reviewed by {by}, {at}',
    'signoff.not': 'Not reviewed',
    'signoff.reopen': 'Reopen review',
    'signoff.reopened': 'The review mark was removed; the sample can be changed and marked again.',
    'signoff.done': 'Sample {id} is marked reviewed.',
    'signoff.needInitials': 'Type your initials to sign the review off.',
    'signoff.empty': 'Not marked reviewed: this sample has no cells yet.',
    'signoff.refused': 'Not marked reviewed: {n} cells are still unidentified. Give each of them a class first (Review view).',
    'signoff.refusedOne': 'Not marked reviewed: 1 cell is still unidentified. Give it a class first (Review view).',
    'signoff.show': 'Show unidentified cells',
    'signoff.cleared.reassign': 'The review mark was removed: a cell was reassigned after the sign-off. Mark the sample reviewed again when done.',
    'signoff.cleared.added': 'The review mark was removed: cells were added after the sign-off. Mark the sample reviewed again when done.',
    'signoff.cleared.import': 'The review mark was removed: the cells were replaced by an import.',
    'signoff.cleared.threshold': 'The review mark was removed: the new confidence threshold moved cells to another group. Mark the sample reviewed again when done.',
    'signoff.cleared.cleared': 'The review mark was removed: the cells were cleared.',
    'map.title': 'Reference-cell map',
    'map.note': 'Reference cells from the training set, placed by similarity of the model’s features. Your cells are drawn on top with a dark outline. Hover, tap or use the arrow keys to see a cell; click or press Enter on one of yours to open it.',
    'map.yours': 'Your cells',
    'map.reference': 'Reference cell: {cls}',
    'map.yourCell': 'Your cell: {name} — {cls}',
    'map.alt': 'Scatter plot of {n} reference cells and {m} of your cells.',
    'map.unavailable': 'The reference map is not available: {error}',
    'map.regions': 'Show class regions',
    'map.regionsNote': 'Shaded by the class most common among the reference cells nearby.',
    'about.title': 'About the model',
    'about.model': 'Model', 'about.name': 'Name', 'about.classes': 'Classes', 'about.input': 'Input size', 'about.kernels': 'Kernels',
    'about.engine': 'Engine', 'about.engineValue': 'C99 int8 engine compiled to WebAssembly, run in up to {n} background threads (Web Workers) of this page',
    'about.subset': 'subset: {n} images per class',
    'about.thresholdWords': 'A cell whose highest class probability is below this threshold is put in Unidentified, for a person to classify.',
    'about.oodWords': 'A cell whose features are far from every reference cell is excluded from the count: the model was not trained on images like it.',
    'about.size': 'Model file',
    'about.accuracy': 'Accuracy', 'about.macroF1': 'Macro F1', 'about.n': 'Test images',
    'about.metrics': 'Per-class metrics (test set)',
    'about.precision': 'Precision', 'about.recall': 'Recall', 'about.f1': 'F1', 'about.support': 'Images',
    'about.confusion': 'Confusion matrix (test set)',
    'about.confusionNote': 'Rows: true class; columns: predicted class. Shading is the share of the row.',
    'about.calibration': 'Calibration',
    'about.temperature': 'Temperature',
    'about.ece': 'Expected calibration error (test)',
    'about.eceValue': '{before} before, {after} after temperature scaling',
    'about.reliability': 'Reliability (test): accuracy against mean confidence per bin',
    'about.bin': 'Confidence bin', 'about.meanConf': 'Mean confidence',
    'about.threshold': 'Unidentified threshold',
    'about.thresholdValue': 'Default {t}: on the test set {c} of cells are accepted, with accuracy {a} on them.',
    'about.ood': 'Out-of-distribution check',
    'about.oodValue': 'Threshold {t} on 1 − mean similarity to the {k} nearest reference cells; flags {fpr} of held-out PBC cells and {tpr} of generated non-cell images.',
    'about.data': 'Data',
    'about.citation': 'Citation',
    'about.use': 'Intended use',
    'about.caveats': 'Caveats',
    'about.disclaimer': 'This is a research and education tool. It is not a diagnostic device and must not be used for clinical decisions.',
    'about.english': '(Some of the model card’s text is in English only.)',
    'about.full': 'Full model card (text)',
    'about.noCard': 'The model card could not be loaded: {error}',
    'about.notMeasured': 'not measured',
    'about.privacy': 'Privacy: everything runs in this page. Images and results are never sent anywhere; the review is kept in this browser’s storage until you clear it.',
    'about.offline': 'Works offline after the first visit, and can be installed as an app.',
    'disclaimer.short': 'Research and education tool, not a diagnostic device.',
    'privacy': 'Images and results stay on this device.',
    'error.tooLarge': 'image too large ({mb} MB; the limit is {max} MB)',
    'error.read': 'the file could not be read',
    // whole fields (views/field.js, app.js)
    'mode.legend': 'The images are',
    'mode.auto': 'Automatic', 'mode.cells': 'Single cells', 'mode.fields': 'Whole fields',
    'mode.note': 'Automatic: an image the size of an analyser’s single-cell crop (about 360 px, or under 200 px) is one cell; any other image is a whole field, and every white cell in it is found and counted.',
    'examples.field': 'Find the cells in this whole-field example ({set})',
    'examples.fieldLabel': 'Field · {set}',
    'examples.set.bcdd': 'BCDD', 'examples.set.pig': 'pig, phone',
    'field.prev': 'Previous field', 'field.next': 'Next field',
    'field.position': 'Field {i} of {n}',
    'field.tools': 'Field view tools',
    'field.zoomIn': 'Zoom in', 'field.zoomOut': 'Zoom out', 'field.fit': 'Fit',
    'field.add': 'Add a missed cell',
    'field.photoAlt': 'Whole-field photo {name}',
    'field.noPhoto': 'The photo of this field is not kept on this device.',
    'field.help': 'Tap or click a box to open its cell: confirm, reassign or delete it there. Drag to move, pinch or use the wheel to zoom. With “Add a missed cell” on, tap a white cell that has no box.',
    'field.box': '{name}: {cls} {p}',
    'field.tag.unidentified': 'unidentified', 'field.tag.excluded': 'excluded', 'field.tag.error': 'failed',
    'field.cells': '{n} cells found in this photo',
    'field.cellsOne': '1 cell found in this photo',
    'field.added': 'Added {name}: {cls}.',
    'field.addFailed': 'Could not add the cell {name}: {error}',
    'field.deleted': 'Deleted {name}.',
    'field.doneOne': '{name}: {n} cells found and classified in {ms} ms.',
    'field.done': 'Done: {n} images, {f} of them whole fields with {cells} cells found, in {s} s.',
    'cell.fromField': 'From the field {name}, box [{box}]',
    'cell.showField': 'Show in the field',
    'cell.confirmBox': 'Confirm: {cls}',
    'cell.deleteBox': 'Delete this detection',
    'cell.deleteConfirm': 'Delete {name}? It is no longer counted.',
    // issue 17: refusals, the demo review, duplicates, delete and undo, previous/next, the counter bar
    'input.takes': 'The app takes images of one centred white cell (an analyser’s single-cell crop), or a whole field of a smear: every white cell in it is found.',
    'refuse.excluded': '{n} of {m} images were not counted: they do not look like single-cell images the model knows.',
    'refuse.excludedOne': '1 of {m} images was not counted: it does not look like the single-cell images the model knows.',
    'refuse.failed': '{n} of {m} images could not be read and were not counted.',
    'refuse.failedOne': '1 of {m} images could not be read and was not counted.',
    'refuse.show': 'Show them',
    'refuse.showOne': 'Show it',
    'cell.notCounted': 'Not counted',
    'cell.notCountedWhy': 'This image does not look like the single-cell images the model was trained on (how unlike: {score}; above {t} a cell is not counted). Whatever class the model gives it is a guess.',
    'cell.notCountedWhyNoScore': 'This image does not look like the single-cell images the model was trained on. Whatever class the model gives it is a guess.',
    'cell.guess': 'The model’s guess (unreliable)',
    'cell.guessText': 'Unreliable guess: {cls}, {p}',
    'reassign.autoExcluded': 'Automatic: not counted (excluded)',
    'gallery.notCounted': 'not counted',
    'sample.demoId': 'Examples (demo)',
    'sample.demoNote': 'This is a demo review of the examples, kept apart from your samples.',
    'sample.demoBack': 'Back to {id}',
    'sample.demoBackNew': 'Back to my samples',
    'dup.skipped': '{n} files were not counted again: their content is the same as images already in this sample ({names}).',
    'dup.skippedOne': '1 file was not counted again: its content is the same as an image already in this sample ({names}).',
    'cell.delete': 'Delete this cell',
    'cell.deleted': 'Deleted {name}; it is no longer counted.',
    'cell.undo': 'Undo',
    'cell.restored': 'Restored {name}.',
    'cell.prev': 'Previous cell', 'cell.next': 'Next cell',
    'cell.position': 'Cell {i} of {n}',
    'cell.swipe': 'Swipe left or right for the next or previous cell.',
    'signoff.cleared.deleted': 'The review mark was removed: a cell was deleted after the sign-off. Mark the sample reviewed again when done.',
    'export.images': 'Include the cell images in the JSON file',
    'export.imagesNote': 'The file then holds every cell’s image, so the review can be imported and checked again with its images. It is written only to this device.',
    'counter.title': 'Cell counter',
    'counter.help': 'Tap a class to give it to the selected cell and step to the next one.',
    'counter.prev': 'Previous', 'counter.next': 'Next',
    'counter.none': 'Select a cell',
    'counter.assign': '{cls}: {n}. Give this class to the selected cell',
    'tabs.more': 'More tabs',
    'toast.close': 'Close',
    'short.basophil': 'Baso', 'short.eosinophil': 'Eos', 'short.erythroblast': 'NRBC', 'short.ig': 'IG',
    'short.lymphocyte': 'Lymph', 'short.monocyte': 'Mono', 'short.neutrophil': 'Neut', 'short.platelet': 'PLT', 'short.unidentified': 'Unid.',
  },
  es: {
    'skip': 'Saltar al contenido',
    'tagline': 'Imágenes de células sanguíneas clasificadas en este dispositivo. Ninguna imagen sale de él.',
    'lang.label': 'Idioma',
    'tabs.label': 'Vistas',
    'tab.cell': 'Célula', 'tab.review': 'Revisión', 'tab.map': 'Mapa', 'tab.about': 'Acerca de',
    'update.text': 'Hay una versión nueva de la aplicación.',
    'update.reload': 'Actualizar ahora', 'update.later': 'Más tarde',
    'input.title': 'Agregar imágenes',
    'input.drop': 'Suelte aquí imágenes de células o una carpeta, pegue una imagen, o:',
    'input.files': 'Elegir imágenes', 'input.folder': 'Elegir una carpeta', 'input.camera': 'Tomar una foto',
    'status.loading': 'Cargando el modelo…',
    'status.ready': 'Listo. Agregue imágenes para clasificarlas.',
    'status.modelError': 'No se pudo cargar el modelo, así que no se puede clasificar nada: {error}',
    'status.notReady': 'El modelo aún se está cargando; inténtelo de nuevo en un momento.',
    'status.restored': 'Se ha recuperado la revisión en curso: {n} células.',
    'status.opened': 'Muestra {id} abierta: {n} células.', 'status.openedOne': 'Muestra {id} abierta: 1 célula.',
    'status.openedEmpty': 'Muestra {id} abierta: todavía no tiene células. Agregue imágenes arriba.',
    'status.skipped': 'Se omitieron {n} archivos que no son imágenes.',
    'status.done': 'Se clasificaron {n} imágenes en {s} s ({rate} imágenes/s).',
    'status.doneOne': 'Se clasificó {name} en {ms} ms.',
    'status.cancelled': 'Cancelado: {done} de {total} imágenes clasificadas.',
    'status.cleared': 'Se borraron las células de la muestra {id}.',
    'status.noImages': 'No se encontraron imágenes.',
    'status.mapError': 'El mapa de referencia no está disponible ({error}): las células no se sitúan en el mapa ni se comprueba si están fuera de distribución.',
    'status.pasted': 'Imagen pegada',
    'progress.cancel': 'Cancelar',
    'progress.text': '{done} / {total} · {rate} imágenes/s',
    'examples.title': 'Ejemplos',
    'examples.note': 'Dos imágenes del conjunto PBC por clase (CC BY 4.0) y dos fotos de campo completo (BCDD, MIT; sangre de cerdo tomada con celular, CC0). Haga clic en una o tóquela para clasificarla.',
    'examples.item': 'Clasificar ejemplo: {cls}',
    'cell.empty': 'Agregue una imagen o elija un ejemplo para ver aquí su clasificación.',
    'cell.prediction': 'Predicción',
    'cell.confidence': '{p} de confianza',
    'cell.probs': 'Probabilidades',
    'cell.cam': 'Dónde miró el modelo',
    'cam.caption': 'El cuadrado que vio el modelo, con su mapa de activación de clase (rojo: más evidencia para la clase elegida).',
    'cam.class': 'Mapa de calor de',
    'cam.opacity': 'Opacidad del mapa de calor',
    'cam.alt': 'Imagen de la célula con el mapa de calor de {cls}',
    'cell.map': 'En el mapa de células de referencia',
    'cell.mapCaption': 'Su célula (anillo) entre las células de referencia.',
    'cell.noMap': 'No hay mapa de referencia cargado.',
    'cell.confirm': 'Clase confirmada',
    'cell.ood': 'Qué tan distinta es de las células de referencia: {score}. Las células por encima de {t} no se cuentan, porque el modelo no se entrenó con imágenes como ellas.',
    'cell.back': 'Volver a la revisión',
    'cell.loadingCam': 'Calculando el mapa de calor…',
    'cell.noImage': 'La imagen ya no está disponible.',
    'flag.unidentified': 'No identificada: el modelo está menos seguro de esta célula de lo que pide el umbral de confianza ({t}), así que espera su decisión.',
    'flag.ood': 'Esto no parece una imagen de una sola célula al estilo CellaVision. Queda fuera del recuento diferencial.',
    'flag.reassigned': 'Reasignada por usted (el modelo dijo {cls}).',
    'flag.error': 'No se pudo clasificar: {error}',
    'cell.kind': 'Tipo: {kind}', 'cell.kindModel': 'según el modelo, {p}', 'cell.kindModelNoP': 'según el modelo',
    'cell.kindUser': 'su elección; el modelo le dio {p}', 'cell.kindChoose': 'Tipo de {cls}', 'cell.kindBack': 'Volver a lo que dijo el modelo',
    'cell.kindNote': 'En nuestras células de prueba el modelo acertó el tipo el {acc} de las veces, menos que la clase: revíselo.',
    'cell.kindNoteNoCard': 'El tipo es más difícil de decidir que la clase: revíselo.',
    'diff.kindOf': 'de ellos', 'gallery.kind': '{kind}',
    'group.unidentified': 'No identificadas', 'group.excluded': 'Distintas de las células de referencia (excluidas)', 'group.error': 'Fallidas',
    'group.empty': 'Ninguna',
    'selection.none': 'Ninguna célula seleccionada.',
    'reassign.label': 'Mover a', 'reassign.open': 'Abrir célula', 'reassign.auto': 'Decisión del modelo ({cls})',
    'gallery.help': 'Seleccione una célula con un clic o con las flechas y elija su clase (teclas 1–8, U para no identificada, 0 para la decisión del modelo) o arrástrela a un grupo. Enter la abre.',
    'gallery.item': '{name}: {cls}, {p}',
    'gallery.empty': 'Aún no hay células. Agregue imágenes arriba.',
    'diff.title': 'Recuento diferencial',
    'diff.class': 'Clase', 'diff.count': 'Número', 'diff.pct': '%',
    'diff.note': 'Los porcentajes son sobre los {n} leucocitos contados (las seis clases de leucocitos); los eritroblastos y las plaquetas se cuentan aparte. Fuera del recuento: no identificadas {u}, excluidas {x}, fallidas {f}.',
    'diff.chart': 'Gráfico del recuento diferencial',
    'diff.wbc': 'Total de leucocitos',
    'diff.abs': '×10⁹/L',
    'diff.apart': 'Contados aparte',
    'diff.nrbc': 'Eritroblastos (NRBC)',
    'diff.nrbcRate': 'Eritroblastos por 100 leucocitos',
    'diff.excluded': 'Excluidas (distintas de la referencia)',
    'count.optional': 'opcional',
    'diff.platelets': 'Plaquetas',
    'diff.notCounted': 'Fuera del recuento',
    'diff.wbcLine': 'Leucocitos del analizador {wbc} ×10⁹/L; corregidos por eritroblastos {corrected} ×10⁹/L. Los recuentos absolutos usan el valor corregido.',
    'diff.wbcGivenOnly': 'Leucocitos del analizador {wbc} ×10⁹/L. Para los recuentos absolutos hace falta contar al menos un leucocito.',
    'count.target': 'Meta del recuento',
    'count.targetOption': '{n} leucocitos',
    'count.progress': 'Leucocitos contados: {n} / {target}',
    'count.done': 'meta alcanzada',
    'count.low': 'Recuento bajo: {n} de {target} leucocitos. Los porcentajes son inciertos.',
    'count.none': 'Todavía no se ha contado ningún leucocito.',
    'count.wbc': 'Leucocitos del analizador (×10⁹/L)',
    'count.wbcBad': 'No es un recuento de leucocitos: escriba un número como {example} (×10⁹/L, máximo {max}). No se usa.',
    'report.button': 'Informe',
    'report.title': 'Informe del recuento diferencial',
    'report.sample': 'ID de la muestra', 'report.date': 'Fecha de la muestra', 'report.reviewer': 'Revisor', 'report.status': 'Estado de la revisión',
    'report.printed': 'Impreso el {at}',
    'report.notReviewed': 'sin revisar',
    'report.reviewed': 'revisada por {by}, {at}',
    'report.noSample': '(sin ID de muestra)',
    'report.cells': 'Células por clase',
    'report.more': '+{n} más',
    'report.noImage': 'sin imagen guardada',
    'report.failedFiles': 'Archivos fallidos',
    'report.excludedFiles': 'Archivos excluidos',
    'report.software': 'bloodcell {version} · modelo {model} · umbral de confianza {conf} · umbral fuera de distribución {ood}',
    'report.noOod': 'ninguno (sin mapa de referencia)',
    'report.total': 'Todas las células', 'report.otherClasses': 'Otras clases',
    'report.disclaimer': 'Herramienta de investigación y docencia: no es un dispositivo médico de diagnóstico. No debe usarse para decisiones clínicas; una persona calificada debe verificar cada resultado.',
    'review.settings': 'Ajustes y exportación',
    'review.clear': 'Borrar las células',
    'import.button': 'Importar revisión',
    'import.done': 'Se importó la revisión de {name} en la muestra {id}: {n} células.',
    'import.doneReviewed': 'Se importó la revisión de {name} en la muestra {id}: {n} células, marcada como revisada por {by}, como en el archivo.',
    'import.markDropped': 'Se importó la revisión de {name} en la muestra {id}: {n} células. El archivo dice que fue revisada, pero aquí quedan {u} células sin identificar, así que no se marca como revisada.',
    'import.cancelled': 'No se importó nada: la muestra {id} quedó como estaba.',
    'import.bad': 'La revisión de {name} no se importó y no se cambió nada: {error}.',
    'import.confirm': '¿Reemplazar las {n} células de la muestra {id} por la revisión de {name}? Se perderán sus imágenes y reasignaciones.',
    'import.busy': 'Espere a que termine el lote antes de importar una revisión.',
    'cell.noImage': 'Esta célula se importó de un archivo de revisión sin su imagen, así que no hay mapa de calor.',
    'review.confirmClear': '¿Quitar de este dispositivo las {n} células de la muestra {id} (sus imágenes y reasignaciones)? La muestra se conserva.',
    'threshold.label': 'Umbral de confianza',
    'careful.label': 'Modo cuidadoso',
    'careful.note': 'Cada célula se clasifica en 8 orientaciones (giradas y en espejo) y se promedian los resultados: decisiones más estables, unas 6 veces más lento. Se aplica a las imágenes que se agreguen desde ahora.',
    'careful.cell': 'Clasificada en modo cuidadoso (8 orientaciones promediadas).',
    'threshold.note': 'Una célula de la que el modelo está menos seguro que esto pasa a No identificadas, para que usted la clasifique. Más alto: menos errores del modelo y más células para usted. El valor por defecto ({d}) se eligió con las imágenes de prueba del modelo: en Acerca de están sus cifras.',
    'export.csv': 'Exportar CSV', 'export.json': 'Exportar JSON',
    'sample.title': 'Muestra', 'sample.label': 'Muestra',
    'sample.new': 'Nueva', 'sample.edit': 'Renombrar', 'sample.delete': 'Eliminar',
    'sample.newFull': 'Nueva muestra', 'sample.editFull': 'Cambiar el nombre de esta muestra', 'sample.deleteFull': 'Eliminar esta muestra',
    'sample.reviewer': 'Revisor',
    'sample.id': 'Código de la muestra',
    'sample.idHelp': 'El número de la lámina o de ingreso, tal como figura en la muestra.',
    'sample.date': 'Fecha',
    'sample.reviewerOptional': 'Iniciales del revisor (opcional)',
    'sample.cancel': 'Cancelar',
    'sample.dated': '{date}',
    'sample.notKept': 'Este navegador no permite que la aplicación guarde datos: esta muestra solo se conserva mientras la página esté abierta y no se pueden crear otras.',
    'sample.busy': 'Espere a que terminen de clasificarse las imágenes (o cancélelas) antes de cambiar de muestra.',
    'sample.newTitle': 'Nueva muestra', 'sample.editTitle': 'Cambiar el nombre de la muestra',
    'sample.create': 'Crear muestra', 'sample.save': 'Guardar',
    'sample.needId': 'Escriba el código de la muestra (número de lámina o de ingreso).',
    'sample.taken': 'Ya existe una muestra con el código {id}. Elíjala en la lista o escriba otro código.',
    'sample.created': 'Se creó la muestra {id}. Las imágenes que agregue ahora quedan en ella.',
    'sample.confirmDelete': '¿Eliminar de este dispositivo la muestra {id}? Se perderán sus {n} células, sus imágenes, todas las reasignaciones y su marca de revisión. No se puede deshacer.',
    'sample.confirmDeleteEmpty': '¿Eliminar la muestra vacía {id}?',
    'sample.deleted': 'Se eliminó la muestra {id}.',
    'sample.defaultId': 'Muestra {n}',
    'signoff.title': 'Marcar como revisada', 'signoff.mark': 'Marcar como revisada',
    'signoff.initials': 'Sus iniciales',
    'signoff.initialsHelp': 'Son obligatorias para firmar la revisión. Quedan como revisor de esta muestra.',
    'signoff.by': 'Revisada por {by}, {at}',
    'signoff.not': 'Sin revisar',
    'signoff.reopen': 'Reabrir la revisión',
    'signoff.reopened': 'Se quitó la marca de revisión; la muestra se puede modificar y volver a marcar.',
    'signoff.done': 'La muestra {id} quedó marcada como revisada.',
    'signoff.needInitials': 'Escriba sus iniciales para firmar la revisión.',
    'signoff.empty': 'No se marcó como revisada: esta muestra todavía no tiene células.',
    'signoff.refused': 'No se marcó como revisada: quedan {n} células sin identificar. Asígnele primero una clase a cada una (vista Revisión).',
    'signoff.refusedOne': 'No se marcó como revisada: queda 1 célula sin identificar. Asígnele primero una clase (vista Revisión).',
    'signoff.show': 'Mostrar las no identificadas',
    'signoff.cleared.reassign': 'Se quitó la marca de revisión: se reasignó una célula después de la firma. Vuelva a marcar la muestra cuando termine.',
    'signoff.cleared.added': 'Se quitó la marca de revisión: se agregaron células después de la firma. Vuelva a marcar la muestra cuando termine.',
    'signoff.cleared.import': 'Se quitó la marca de revisión: las células se reemplazaron con una importación.',
    'signoff.cleared.threshold': 'Se quitó la marca de revisión: el nuevo umbral de confianza pasó células a otro grupo. Vuelva a marcar la muestra cuando termine.',
    'signoff.cleared.cleared': 'Se quitó la marca de revisión: se borraron las células.',
    'map.title': 'Mapa de células de referencia',
    'map.note': 'Células de referencia del conjunto de entrenamiento, situadas por la similitud de las características del modelo. Sus células se dibujan encima con borde oscuro. Pase el mouse, toque o use las flechas para ver una célula; haga clic o presione Enter sobre una de las suyas para abrirla.',
    'map.yours': 'Sus células',
    'map.reference': 'Célula de referencia: {cls}',
    'map.yourCell': 'Su célula: {name} — {cls}',
    'map.alt': 'Diagrama de dispersión de {n} células de referencia y {m} células suyas.',
    'map.unavailable': 'El mapa de referencia no está disponible: {error}',
    'map.regions': 'Mostrar regiones por clase',
    'map.regionsNote': 'Sombreadas según la clase más frecuente entre las células de referencia cercanas.',
    'about.title': 'Acerca del modelo',
    'about.model': 'Modelo', 'about.name': 'Nombre', 'about.classes': 'Clases', 'about.input': 'Tamaño de entrada', 'about.kernels': 'Rutinas de cálculo (kernels)',
    'about.engine': 'Motor', 'about.engineValue': 'motor int8 en C99 compilado a WebAssembly, ejecutado en hasta {n} hilos en segundo plano (Web Workers) de esta página',
    'about.subset': 'subconjunto: {n} imágenes por clase',
    'about.thresholdWords': 'Una célula cuya probabilidad de clase más alta está por debajo de este umbral pasa a No identificadas, para que una persona la clasifique.',
    'about.oodWords': 'Una célula cuyas características están lejos de todas las células de referencia se excluye del recuento: el modelo no se entrenó con imágenes como ella.',
    'about.size': 'Archivo del modelo',
    'about.accuracy': 'Exactitud', 'about.macroF1': 'F1 macro', 'about.n': 'Imágenes de prueba',
    'about.metrics': 'Métricas por clase (conjunto de prueba)',
    'about.precision': 'Precisión', 'about.recall': 'Sensibilidad', 'about.f1': 'F1', 'about.support': 'Imágenes',
    'about.confusion': 'Matriz de confusión (conjunto de prueba)',
    'about.confusionNote': 'Filas: clase real; columnas: clase predicha. El sombreado es la proporción de la fila.',
    'about.calibration': 'Calibración',
    'about.temperature': 'Temperatura',
    'about.ece': 'Error de calibración esperado (prueba)',
    'about.eceValue': '{before} antes, {after} después del escalado de temperatura',
    'about.reliability': 'Fiabilidad (prueba): exactitud frente a confianza media por intervalo',
    'about.bin': 'Intervalo de confianza', 'about.meanConf': 'Confianza media',
    'about.threshold': 'Umbral de no identificadas',
    'about.thresholdValue': 'Por defecto {t}: en el conjunto de prueba se aceptan el {c} de las células, con una exactitud de {a} en ellas.',
    'about.ood': 'Comprobación fuera de distribución',
    'about.oodValue': 'Umbral {t} sobre 1 − similitud media con las {k} células de referencia más cercanas; marca el {fpr} de las células PBC reservadas y el {tpr} de las imágenes generadas que no son células.',
    'about.data': 'Datos',
    'about.citation': 'Cita',
    'about.use': 'Uso previsto',
    'about.caveats': 'Advertencias',
    'about.disclaimer': 'Es una herramienta de investigación y docencia. No es un dispositivo médico de diagnóstico y no debe usarse para decisiones clínicas.',
    'about.english': '(Parte del texto de la ficha del modelo está solo en inglés.)',
    'about.full': 'Ficha completa del modelo (texto)',
    'about.noCard': 'No se pudo cargar la ficha del modelo: {error}',
    'about.notMeasured': 'no medido',
    'about.privacy': 'Privacidad: todo se ejecuta en esta página. Las imágenes y los resultados nunca se envían a ninguna parte; la revisión se guarda en el almacenamiento de este navegador hasta que la borre.',
    'about.offline': 'Funciona sin conexión después de la primera visita y se puede instalar como aplicación.',
    'disclaimer.short': 'Herramienta de investigación y docencia, no un dispositivo médico de diagnóstico.',
    'privacy': 'Las imágenes y los resultados no salen de este dispositivo.',
    'error.tooLarge': 'imagen demasiado grande ({mb} MB; el límite es {max} MB)',
    'error.read': 'no se pudo leer el archivo',
    // campos completos (views/field.js, app.js)
    'mode.legend': 'Las imágenes son',
    'mode.auto': 'Automático', 'mode.cells': 'Células sueltas', 'mode.fields': 'Campos completos',
    'mode.note': 'Automático: una imagen del tamaño del recorte de una sola célula de un analizador (unos 360 px, o menos de 200 px) es una célula; cualquier otra imagen es un campo completo, y se buscan y cuentan todos sus leucocitos.',
    'examples.field': 'Buscar las células en este ejemplo de campo completo ({set})',
    'examples.fieldLabel': 'Campo · {set}',
    'examples.set.bcdd': 'BCDD', 'examples.set.pig': 'cerdo, celular',
    'field.prev': 'Campo anterior', 'field.next': 'Campo siguiente',
    'field.position': 'Campo {i} de {n}',
    'field.tools': 'Herramientas de la vista del campo',
    'field.zoomIn': 'Acercar', 'field.zoomOut': 'Alejar', 'field.fit': 'Ajustar',
    'field.add': 'Agregar una célula que faltó',
    'field.photoAlt': 'Foto del campo completo {name}',
    'field.noPhoto': 'La foto de este campo no se guarda en este dispositivo.',
    'field.help': 'Toque o haga clic en un recuadro para abrir su célula: allí puede confirmarla, reasignarla o eliminarla. Arrastre para mover; pellizque o use la rueda para acercar. Con «Agregar una célula que faltó» activado, toque un leucocito que no tenga recuadro.',
    'field.box': '{name}: {cls} {p}',
    'field.tag.unidentified': 'no identificada', 'field.tag.excluded': 'excluida', 'field.tag.error': 'fallida',
    'field.cells': '{n} células encontradas en esta foto',
    'field.cellsOne': '1 célula encontrada en esta foto',
    'field.added': 'Se agregó {name}: {cls}.',
    'field.addFailed': 'No se pudo agregar la célula {name}: {error}',
    'field.deleted': 'Se eliminó {name}.',
    'field.doneOne': '{name}: {n} células encontradas y clasificadas en {ms} ms.',
    'field.done': 'Listo: {n} imágenes, {f} de ellas campos completos con {cells} células encontradas, en {s} s.',
    'cell.fromField': 'Del campo {name}, recuadro [{box}]',
    'cell.showField': 'Ver en el campo',
    'cell.confirmBox': 'Confirmar: {cls}',
    'cell.deleteBox': 'Eliminar esta detección',
    'cell.deleteConfirm': '¿Eliminar {name}? Ya no se contará.',
    // issue 17: rechazos, la revisión de demostración, duplicados, eliminar y deshacer, anterior/siguiente, el contador
    'input.takes': 'La aplicación recibe imágenes de un solo leucocito centrado (el recorte de una célula de un analizador) o un campo completo de un extendido: se buscan todos sus leucocitos.',
    'refuse.excluded': '{n} de {m} imágenes no se contaron: no se parecen a las imágenes de una sola célula que el modelo conoce.',
    'refuse.excludedOne': '1 de {m} imágenes no se contó: no se parece a las imágenes de una sola célula que el modelo conoce.',
    'refuse.failed': '{n} de {m} imágenes no se pudieron leer y no se contaron.',
    'refuse.failedOne': '1 de {m} imágenes no se pudo leer y no se contó.',
    'refuse.show': 'Verlas',
    'refuse.showOne': 'Verla',
    'cell.notCounted': 'No se cuenta',
    'cell.notCountedWhy': 'Esta imagen no se parece a las imágenes de una sola célula con las que se entrenó el modelo (qué tan distinta es: {score}; por encima de {t} una célula no se cuenta). La clase que le dé el modelo es solo una suposición.',
    'cell.notCountedWhyNoScore': 'Esta imagen no se parece a las imágenes de una sola célula con las que se entrenó el modelo. La clase que le dé el modelo es solo una suposición.',
    'cell.guess': 'Suposición del modelo (poco fiable)',
    'cell.guessText': 'Suposición poco fiable: {cls}, {p}',
    'reassign.autoExcluded': 'Automático: no se cuenta (excluida)',
    'gallery.notCounted': 'no se cuenta',
    'sample.demoId': 'Ejemplos (demostración)',
    'sample.demoNote': 'Esta es una revisión de demostración con los ejemplos, aparte de sus muestras.',
    'sample.demoBack': 'Volver a {id}',
    'sample.demoBackNew': 'Volver a mis muestras',
    'dup.skipped': '{n} archivos no se contaron otra vez: su contenido es igual al de imágenes que ya están en esta muestra ({names}).',
    'dup.skippedOne': '1 archivo no se contó otra vez: su contenido es igual al de una imagen que ya está en esta muestra ({names}).',
    'cell.delete': 'Eliminar esta célula',
    'cell.deleted': 'Se eliminó {name}; ya no se cuenta.',
    'cell.undo': 'Deshacer',
    'cell.restored': 'Se recuperó {name}.',
    'cell.prev': 'Célula anterior', 'cell.next': 'Célula siguiente',
    'cell.position': 'Célula {i} de {n}',
    'cell.swipe': 'Deslice hacia la izquierda o la derecha para ver la célula siguiente o la anterior.',
    'signoff.cleared.deleted': 'Se quitó la marca de revisión: se eliminó una célula después de la firma. Vuelva a marcar la muestra cuando termine.',
    'export.images': 'Incluir las imágenes de las células en el archivo JSON',
    'export.imagesNote': 'Así el archivo lleva la imagen de cada célula, y la revisión se puede importar y revisar otra vez con sus imágenes. Solo se guarda en este dispositivo.',
    'counter.title': 'Contador de células',
    'counter.help': 'Toque una clase para dársela a la célula seleccionada y pasar a la siguiente.',
    'counter.prev': 'Anterior', 'counter.next': 'Siguiente',
    'counter.none': 'Seleccione una célula',
    'counter.assign': '{cls}: {n}. Darle esta clase a la célula seleccionada',
    'tabs.more': 'Más pestañas',
    'toast.close': 'Cerrar',
    'short.basophil': 'Baso', 'short.eosinophil': 'Eos', 'short.erythroblast': 'Eritrob.', 'short.ig': 'GI',
    'short.lymphocyte': 'Linf', 'short.monocyte': 'Mono', 'short.neutrophil': 'Neut', 'short.platelet': 'Plaq', 'short.unidentified': 'No id.',
  },
};

// The model card's texts (models/model-card.json, written in English by scripts/model/evaluate.py) in
// Colombian Spanish, by their exact English text. A text not here (a new card) is shown in English,
// and About says so (about.english); tests/browser/locale.test.mjs checks the shipped card is covered.
const CARD_ES = {
  'Research and education only: demonstrating in-browser classification of single peripheral blood cell images of the kind found in the PBC dataset (CellaVision DM96, May-Grünwald Giemsa stain, one cell centred per image). It is NOT a medical or diagnostic device and must not be used for diagnosis, screening or treatment decisions.':
    'Solo para investigación y docencia: muestra la clasificación, en el navegador, de imágenes de una sola célula de sangre periférica como las del conjunto PBC (CellaVision DM96, tinción de May-Grünwald Giemsa, una célula centrada por imagen). NO es un dispositivo médico ni de diagnóstico y no debe usarse para decisiones de diagnóstico, tamizaje o tratamiento.',
  'The splits are image-level: the dataset carries no patient or slide ids, so near-duplicate cells from one donor may sit on both sides of a split and the test figures may be optimistic for new patients.':
    'Las particiones son por imagen: el conjunto de datos no trae identificadores de paciente ni de lámina, así que células casi idénticas de un mismo donante pueden quedar a ambos lados de una partición, y las cifras de prueba pueden ser optimistas para pacientes nuevos.',
  'All images come from one laboratory, one scanner (CellaVision DM96) and one staining protocol; accuracy on other microscopes, stains, magnifications or smartphone photos is not measured.':
    'Todas las imágenes vienen de un solo laboratorio, un solo escáner (CellaVision DM96) y un solo protocolo de tinción; la exactitud con otros microscopios, tinciones, aumentos o fotos tomadas con celular no está medida.',
  'Only the 8 classes of normal peripheral blood cells (plus immature granulocytes) are known to the model; blasts, abnormal lymphocytes, smudge cells, artefacts and other cell types are forced into one of the 8 classes (the unidentified threshold and the reference-map OOD score only partly catch this).':
    'El modelo solo conoce las 8 clases de células normales de sangre periférica (más los granulocitos inmaduros); blastos, linfocitos atípicos, sombras nucleares (células de Gumprecht), artefactos y otros tipos celulares quedan asignados a la fuerza a una de las 8 clases (el umbral de no identificadas y la puntuación fuera de distribución del mapa de referencia solo detectan una parte).',
  'About 25% of the published images are held back by the data provider and were not used here; the published PBC dataset has 17,092 images, this share 12,755.':
    'Cerca del 25 % de las imágenes publicadas las retiene el proveedor de los datos y no se usaron aquí; el conjunto PBC publicado tiene 17.092 imágenes y esta parte, 12.755.',
  "On VAL, with the calibrated probabilities (softmax(logits / T), T as written into the model file), fit an isotonic (monotone increasing) regression of 'prediction is correct' on the max probability. The threshold is the smallest val max-probability at which this estimated accuracy reaches 90%, rounded down to 3 decimals. A prediction whose max probability is below the threshold is shown as 'unidentified': at such confidences fewer than 90% of val predictions are correct. If the estimate never reaches 90% the threshold is 1.0 (everything unidentified).":
    'En el conjunto de validación, con las probabilidades calibradas (softmax(logits / T), con la T escrita en el archivo del modelo), se ajusta una regresión isotónica (monótona creciente) de «la predicción es correcta» sobre la probabilidad máxima. El umbral es la menor probabilidad máxima de validación a la que esa exactitud estimada llega al 90 %, redondeada hacia abajo a 3 decimales. Una predicción cuya probabilidad máxima está por debajo del umbral se muestra como «no identificada»: con esas confianzas, menos del 90 % de las predicciones de validación son correctas. Si la estimación nunca llega al 90 %, el umbral es 1,0 (todo queda sin identificar).',
  'temperature scaling, T minimises the val NLL of softmax(logits / T); log-spaced grid over 0.3..5.0 then a finer grid around the best':
    'escalado de temperatura: T minimiza la log-verosimilitud negativa de validación de softmax(logits / T); primero una cuadrícula logarítmica de 0,3 a 5,0 y luego una más fina alrededor del mejor valor',
  'fixed stratified 70/10/20 image-level split (models/TRAINING.md)': 'partición fija y estratificada 70/10/20 por imagen (models/TRAINING.md)',
  'PBC dataset (normal peripheral blood cells), training share': 'Conjunto PBC (células normales de sangre periférica), parte de entrenamiento',
  'generated non-cell images are easy negatives; real-world out-of-distribution inputs (other stains, scanners, phone photos of smears, abnormal cells) are not measured':
    'las imágenes generadas que no son células son negativos fáciles; no está medido con entradas reales fuera de distribución (otras tinciones, escáneres, fotos de extendidos tomadas con celular, células anormales)',
};

// A text of the model card in the current language: {text, translated} (translated false: left in English).
export function cardText(s) {
  if (!s || lang === 'en') return { text: s || '', translated: true };
  const es = lang === 'es' ? CARD_ES[s] : undefined;
  return es ? { text: es, translated: true } : { text: s, translated: false };
}

const CLASS_NAMES = {
  en: { basophil: 'Basophil', eosinophil: 'Eosinophil', erythroblast: 'Erythroblast', ig: 'Immature granulocyte',
    lymphocyte: 'Lymphocyte', monocyte: 'Monocyte', neutrophil: 'Neutrophil', platelet: 'Platelet' },
  es: { basophil: 'Basófilo', eosinophil: 'Eosinófilo', erythroblast: 'Eritroblasto', ig: 'Granulocito inmaduro',
    lymphocyte: 'Linfocito', monocyte: 'Monocito', neutrophil: 'Neutrófilo', platelet: 'Plaqueta' },
};

// The second level (the model's sub-class ids; differential.js SUBCLASSES), as a lab writes it after
// the class: "Neutrophil — band". Colombia says "en banda" (also "cayado").
const SUBCLASS_NAMES = {
  en: { band: 'band', segmented: 'segmented', promyelocyte: 'promyelocyte', myelocyte: 'myelocyte', metamyelocyte: 'metamyelocyte', unspecified: 'kind not given' },
  es: { band: 'en banda', segmented: 'segmentado', promyelocyte: 'promielocito', myelocyte: 'mielocito', metamyelocyte: 'metamielocito', unspecified: 'tipo sin indicar' },
};

// Engine error messages (English, from the C engine) and their Spanish forms.
const ERRORS_ES = [
  [/^empty file/, 'archivo vacío'],
  // "HEIC images are not supported: save as JPEG or PNG" (src/preprocess.c names the format)
  [/^(.+) images are not supported: save as JPEG or PNG/, (m) => `las imágenes ${m[1]} no se admiten: guárdelas como JPEG o PNG`],
  [/^(.+) files are not supported: save as JPEG or PNG/, (m) => `los archivos ${m[1]} no se admiten: guarde la imagen como JPEG o PNG`],
  [/^TIFF with .* is not supported/, 'este tipo de TIFF no se admite: guárdelo como TIFF RGB de 8 bits, JPEG o PNG'],
  [/^image is (\d+)x(\d+) pixels/, (m) => `imagen demasiado grande (${m[1]}×${m[2]} píxeles)`],
  [/^not an image/, 'no es una imagen (se esperaba JPEG, PNG o BMP)'],
  [/^truncated/, 'imagen truncada'],
  [/^corrupt/, 'imagen dañada'],
  [/^unsupported/, 'formato de imagen no admitido'],
  [/^image too large/, 'imagen demasiado grande'],
  [/^out of memory/, 'sin memoria'],
  [/^the file could not be read/, 'no se pudo leer el archivo'],
];

export const LANGS = Object.keys(STRINGS);
let lang = 'en';
const listeners = [];
export const missing = new Set();

export function pickLanguage() {
  let saved = null;
  try { saved = localStorage.getItem('bloodcell.lang'); } catch { /* storage may be off */ }
  if (saved && STRINGS[saved]) return saved;
  for (const l of navigator.languages || [navigator.language || 'en']) {
    const base = String(l).toLowerCase().split('-')[0];
    if (STRINGS[base]) return base;
  }
  return 'en';
}

export function getLang() { return lang; }

export function setLang(l, save = false) {
  if (!STRINGS[l]) l = 'en';
  lang = l;
  document.documentElement.lang = l;
  if (save) { try { localStorage.setItem('bloodcell.lang', l); } catch { /* ignore */ } }
  applyStatic();
  for (const fn of listeners) fn(l);
}

export function onLangChange(fn) { listeners.push(fn); }

export function t(key, vars) {
  let s = STRINGS[lang][key];
  if (s === undefined) { missing.add(`${lang}:${key}`); s = STRINGS.en[key] ?? key; }
  if (vars) s = s.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));
  return s;
}

export function className(id) {
  return CLASS_NAMES[lang][id] || CLASS_NAMES.en[id] || id;
}

export function subclassName(id) {
  return SUBCLASS_NAMES[lang][id] || SUBCLASS_NAMES.en[id] || id;
}

export function errorText(err) {
  if (lang === 'es') {
    for (const [re, es] of ERRORS_ES) {
      const m = re.exec(err);
      if (m) return typeof es === 'function' ? es(m) : es;
    }
  }
  return err;
}

// Number formatters are made once per language and digit count (making one is slow).
const formatters = new Map();
function fmt(x, digits) {
  const key = `${lang}:${digits}`;
  let f = formatters.get(key);
  if (!f) formatters.set(key, f = new Intl.NumberFormat(lang, { minimumFractionDigits: digits, maximumFractionDigits: digits }));
  return f.format(x);
}

export function pct(p, digits = 1) {
  return `${fmt(100 * p, digits)}%`;
}

// A probability or confidence as a percentage that is never rounded to a certainty: above 99.9% it
// reads ">99.9%", below 0.1% "<0.1%" (the model is never sure, and a 100% would read as if it were).
// digits 0 (gallery captions) keeps one decimal where whole numbers would round to 100% or 0%.
export function confPct(p, digits = 1) {
  if (!Number.isFinite(p)) return '—';
  const v = 100 * p;
  if (!(v <= 99.9)) return `>${fmt(99.9, 1)}%`;
  if (!(v >= 0.1)) return `<${fmt(0.1, 1)}%`;
  const d = digits < 1 && (v >= 99.5 || v < 0.5) ? 1 : digits;
  return `${fmt(v, d)}%`;
}

export function num(x, digits = 2) {
  return fmt(Number(x), digits);
}

// A date and time (medium date, short time) whose time never breaks across lines ("2:18 a. m."
// left "m." alone on the phone's sample bar and in the report).
export function dateTimeText(d, locale) {
  const parts = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' }).formatToParts(d);
  const hour = parts.findIndex((p) => p.type === 'hour');
  return parts.map((p, i) => (hour >= 0 && i > hour ? p.value.replace(/\s/g, '\u00a0') : p.value)).join('');
}

// Static text in the HTML: data-i18n (text), data-i18n-aria (aria-label), data-i18n-title (title).
export function applyStatic(root = document) {
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-aria]')) el.setAttribute('aria-label', t(el.dataset.i18nAria));
  for (const el of root.querySelectorAll('[data-i18n-title]')) el.title = t(el.dataset.i18nTitle);
  document.title = lang === 'es' ? 'bloodcell — clasificador de células sanguíneas en su dispositivo' : 'bloodcell — blood cell classifier on your device';
}
