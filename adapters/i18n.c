/* i18n.c - the catalogue: one row per stable code, English, French and
 * Portuguese. Add a row for every new officer-facing text; tests/check_i18n
 * holds every row complete. */
#include "i18n.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct {
    const char *code;
    const char *text[I18N_COUNT];       /* en fr pt */
} s_entry_t;

static const s_entry_t s_catalogue[] = {
    /* why a spool file was rejected (.err files): one row per stable reason code */
    { "err.NOT_ASYCUDA", {
        "the file is not an ASYCUDA World SAD export",
        "le fichier n'est pas un export de déclaration ASYCUDA World",
        "o ficheiro não é uma exportação de declaração ASYCUDA World" } },
    { "err.NOT_TRANSIT", {
        "the declaration is not a transit (T1) declaration",
        "la déclaration n'est pas une déclaration de transit (T1)",
        "a declaração não é uma declaração de trânsito (T1)" } },
    { "err.NOT_REGISTERED", {
        "the declaration is not registered yet in ASYCUDA",
        "la déclaration n'est pas encore enregistrée dans ASYCUDA",
        "a declaração ainda não está registada no ASYCUDA" } },
    { "err.MISSING", {
        "a required field is empty",
        "un champ obligatoire est vide",
        "um campo obrigatório está vazio" } },
    { "err.TOO_LONG", {
        "a value is longer than the message allows",
        "une valeur est plus longue que le message ne le permet",
        "um valor é mais longo do que a mensagem permite" } },
    { "err.NOT_ASCII", {
        "an identifier has characters other than printable ASCII",
        "un identifiant contient des caractères hors ASCII imprimable",
        "um identificador tem caracteres fora do ASCII imprimível" } },
    { "err.ADDRESS_INCOMPLETE", {
        "an address is incomplete (street and city are needed)",
        "une adresse est incomplète (rue et ville nécessaires)",
        "um endereço está incompleto (rua e cidade necessárias)" } },
    { "err.NOT_DATE", {
        "a date is in none of the accepted formats",
        "une date n'est dans aucun des formats acceptés",
        "uma data não está em nenhum dos formatos aceites" } },
    { "err.TIME_LIMIT_BEFORE_RELEASE", {
        "the transit time limit is before the release",
        "le délai de transit est antérieur à la mainlevée",
        "o prazo de trânsito é anterior à autorização de saída" } },
    { "err.UNKNOWN_OFFICE", {
        "an office code is not in the adapter's office table",
        "un code de bureau est absent de la table des bureaux de l'adaptateur",
        "um código de estância não está na tabela de estâncias do adaptador" } },
    { "err.OFFICE_NOT_OURS", {
        "the office of departure is not an office of this country",
        "le bureau de départ n'est pas un bureau de ce pays",
        "a estância de partida não é uma estância deste país" } },
    { "err.DESTINATION_COUNTRY", {
        "the destination country does not match the office of destination",
        "le pays de destination ne correspond pas au bureau de destination",
        "o país de destino não corresponde à estância de destino" } },
    { "err.NO_CORRIDOR", {
        "no corridor of the table joins departure and destination",
        "aucun corridor de la table ne relie le départ et la destination",
        "nenhum corredor da tabela liga a partida ao destino" } },
    { "err.EXIT_NOT_ON_CORRIDOR", {
        "the border office of exit is not on the corridor",
        "le bureau frontière de sortie n'est pas sur le corridor",
        "a estância fronteiriça de saída não está no corredor" } },
    { "err.NOT_AMOUNT", {
        "an amount is not a number with at most two decimals",
        "un montant n'est pas un nombre à deux décimales au plus",
        "um montante não é um número com no máximo duas casas decimais" } },
    { "err.NOT_NUMBER", {
        "a value is not a number",
        "une valeur n'est pas un nombre",
        "um valor não é um número" } },
    { "err.NOT_MASS", {
        "a mass is not a positive number of kilograms",
        "une masse n'est pas un nombre positif de kilogrammes",
        "uma massa não é um número positivo de quilogramas" } },
    { "err.NOT_COUNTRY", {
        "a country code is not two letters",
        "un code pays n'a pas deux lettres",
        "um código de país não tem duas letras" } },
    { "err.NOT_MODE", {
        "the transport mode is not in the mode table of the profile",
        "le mode de transport est absent de la table des modes du profil",
        "o modo de transporte não está na tabela de modos do perfil" } },
    { "err.NOT_PACKAGE_KIND", {
        "a kind of package is not in the package table of the profile",
        "un type de colis est absent de la table des colis du profil",
        "um tipo de volume não está na tabela de volumes do perfil" } },
    { "err.NOT_HS_CODE", {
        "a commodity code is not a Harmonized System code",
        "un code marchandise n'est pas un code du Système harmonisé",
        "um código de mercadoria não é um código do Sistema Harmonizado" } },
    { "err.NOT_SEAL", {
        "a seal number is not valid",
        "un numéro de scellé n'est pas valable",
        "um número de selo não é válido" } },
    { "err.SEAL_COUNT", {
        "the number of seals does not match the seals listed",
        "le nombre de scellés ne correspond pas aux scellés listés",
        "o número de selos não corresponde aos selos listados" } },
    { "err.NOT_CONTAINER", {
        "a container number is not valid",
        "un numéro de conteneur n'est pas valable",
        "um número de contentor não é válido" } },
    { "err.NO_ITEMS", {
        "the declaration has no goods item",
        "la déclaration n'a aucun article",
        "a declaração não tem nenhum artigo" } },
    { "err.TOO_MANY_ITEMS", {
        "the declaration has more than 999 goods items",
        "la déclaration a plus de 999 articles",
        "a declaração tem mais de 999 artigos" } },
    { "err.INVALID_MESSAGE", {
        "the mapped declaration does not make a valid transit message",
        "la déclaration traduite ne forme pas un message de transit valable",
        "a declaração traduzida não forma uma mensagem de trânsito válida" } },
    { "err.CHANGED_AFTER_RELEASE", {
        "the declaration was changed after its release: the change cannot be sent",
        "la déclaration a été modifiée après la mainlevée : la modification ne peut pas être envoyée",
        "a declaração foi alterada depois da autorização de saída: a alteração não pode ser enviada" } },
    { "err.CANCELLED", {
        "the declaration was cancelled: it cannot be sent again",
        "la déclaration a été annulée : elle ne peut plus être envoyée",
        "a declaração foi anulada: não pode voltar a ser enviada" } },
    { "err.NOT_WELL_FORMED", {
        "the file is not well-formed XML",
        "le fichier n'est pas un XML bien formé",
        "o ficheiro não é XML bem formado" } },
    { "err.FILE_TOO_BIG", {
        "the file is larger than the adapter accepts",
        "le fichier dépasse la taille acceptée par l'adaptateur",
        "o ficheiro excede o tamanho aceite pelo adaptador" } },
    { "err.FILE_UNREADABLE", {
        "the file cannot be read (permissions or disk)",
        "le fichier ne peut pas être lu (droits ou disque)",
        "o ficheiro não pode ser lido (permissões ou disco)" } },
    { "err.NODE_REFUSED", {
        "the national node refused the message",
        "le nœud national a refusé le message",
        "o nó nacional recusou a mensagem" } },
    { "err.INTERNAL", {
        "an internal fault of the adapter (see its log)",
        "une anomalie interne de l'adaptateur (voir son journal)",
        "uma anomalia interna do adaptador (ver o seu registo)" } },
    { "err.what_to_do", {
        "What to do: correct the declaration in ASYCUDA World and export it again, or correct the adapter's mapping profile or tables (mapping.conf, offices.csv, corridors.csv; `sigmat-asycuda check-file` tries a file without sending it) and move this file back into the spool folder.",
        "Que faire : corriger la déclaration dans ASYCUDA World et l'exporter de nouveau, ou corriger le profil de correspondance ou les tables de l'adaptateur (mapping.conf, offices.csv, corridors.csv ; `sigmat-asycuda check-file` essaie un fichier sans l'envoyer), puis remettre ce fichier dans le dossier spool.",
        "O que fazer: corrigir a declaração no ASYCUDA World e exportá-la de novo, ou corrigir o perfil de correspondência ou as tabelas do adaptador (mapping.conf, offices.csv, corridors.csv; `sigmat-asycuda check-file` testa um ficheiro sem o enviar), e voltar a pôr este ficheiro na pasta spool." } },
    /* the HTTP layer */
    { "http.unauthorized", {
        "missing or wrong Bearer token in the Authorization header",
        "jeton Bearer absent ou erroné dans l'en-tête Authorization",
        "código Bearer ausente ou errado no cabeçalho Authorization" } },
    { "http.too_big", {
        "the body is larger than http_max_body ({1} bytes)",
        "le corps de la requête dépasse http_max_body ({1} octets)",
        "o corpo do pedido excede http_max_body ({1} bytes)" } },
    { "http.not_object", {
        "the body is not a JSON object: {1} (line {2}, column {3})",
        "le corps de la requête n'est pas un objet JSON : {1} (ligne {2}, colonne {3})",
        "o corpo do pedido não é um objeto JSON: {1} (linha {2}, coluna {3})" } },
    { "http.not_string", {
        "{1} must be a string",
        "{1} doit être une chaîne de caractères",
        "{1} deve ser um texto" } },
    { "http.not_boolean", {
        "{1} must be true or false",
        "{1} doit valoir true ou false",
        "{1} deve ser true ou false" } },
    { "http.not_list", {
        "{1} must be a list of strings",
        "{1} doit être une liste de chaînes de caractères",
        "{1} deve ser uma lista de textos" } },
    { "http.no_resource", {
        "no such resource: {1}",
        "ressource inexistante : {1}",
        "recurso inexistente: {1}" } },
    { "http.method", {
        "{1} is not allowed on {2}",
        "{1} n'est pas permis sur {2}",
        "{1} não é permitido em {2}" } },
    /* who may act where */
    { "officer.office", {
        "officer {1} may not act for office {2} ({3}): the token is bound to other offices",
        "l'agent {1} ne peut pas agir pour le bureau {2} ({3}) : son jeton est lié à d'autres bureaux",
        "o funcionário {1} não pode agir pela estância {2} ({3}): o seu código está ligado a outras estâncias" } },
    { "office.unknown", {
        "unknown office: {1}",
        "bureau inconnu : {1}",
        "estância desconhecida: {1}" } },
    { "office.required", {
        "office is required (ASYCUDA code or reference)",
        "le bureau (office) est obligatoire (code ASYCUDA ou référence)",
        "a estância (office) é obrigatória (código ASYCUDA ou referência)" } },
    { "office.not_departure", {
        "{1} is not the office of departure of {2}: only the office of departure may take this decision",
        "{1} n'est pas le bureau de départ de {2} : seul le bureau de départ peut prendre cette décision",
        "{1} não é a estância de partida de {2}: só a estância de partida pode tomar esta decisão" } },
    { "office.not_destination", {
        "{1} is not the office of destination of {2}: a diverted arrival is recorded with arrival-request (ARQ)",
        "{1} n'est pas le bureau de destination de {2} : une arrivée déroutée s'enregistre avec arrival-request (ARQ)",
        "{1} não é a estância de destino de {2}: uma chegada desviada regista-se com arrival-request (ARQ)" } },
    /* the movement */
    { "mrn.unknown", {
        "movement {1} is not known at this adapter",
        "le mouvement {1} est inconnu de cet adaptateur",
        "o movimento {1} é desconhecido neste adaptador" } },
    { "mrn.no_record", {
        "movement {1} is not known at this adapter: no AAR or ATR was received for it. If the goods are at your office without a record, request it with arrival-request (ARQ)",
        "le mouvement {1} est inconnu de cet adaptateur : aucun AAR ni ATR n'a été reçu. Si les marchandises sont à votre bureau sans dossier, demandez-le avec arrival-request (ARQ)",
        "o movimento {1} é desconhecido neste adaptador: não foi recebido nenhum AAR nem ATR. Se as mercadorias estão na sua estância sem processo, peça-o com arrival-request (ARQ)" } },
    { "mrn.invalid", {
        "mrn: {1}",
        "MRN invalide : {1}",
        "MRN inválido: {1}" } },
    { "mrn.already_expected", {
        "movement {1} is already expected at {2} (state ANTICIPATED): record the arrival instead",
        "le mouvement {1} est déjà attendu à {2} (état ANTICIPATED) : enregistrez plutôt l'arrivée",
        "o movimento {1} já é esperado em {2} (estado ANTICIPATED): registe antes a chegada" } },
    { "mrn.crossed", {
        "the crossing of {1} at {2} is already recorded",
        "le passage de {1} à {2} est déjà enregistré",
        "a passagem de {1} em {2} já está registada" } },
    { "mrn.state", {
        "movement {1} at {2} is {3}; {4} needs {5}",
        "le mouvement {1} à {2} est {3} ; {4} doit attendre l'état {5}",
        "o movimento {1} em {2} está {3}; {4} precisa do estado {5}" } },
    { "hint.arrival_first", {
        "record the arrival first",
        "enregistrez d'abord l'arrivée",
        "registe primeiro a chegada" } },
    { "hint.enquiry", {
        "an enquiry answer follows an enquiry",
        "une réponse d'enquête suit une enquête",
        "uma resposta de inquérito segue um inquérito" } },
    { "hint.decision", {
        "a decision closes a movement whose control found discrepancies",
        "une décision clôt un mouvement dont le contrôle a relevé des divergences",
        "uma decisão encerra um movimento cujo controlo encontrou divergências" } },
    { "hint.cancel", {
        "once the goods moved, only the write-off closes the movement",
        "une fois les marchandises parties, seul l'apurement clôt le mouvement",
        "depois de as mercadorias partirem, só o apuramento encerra o movimento" } },
    /* the values of a call */
    { "call.verb", {
        "unknown verb: expected crossing, arrival, control, incident, arrival-request, enquiry-answer, decision or cancellation",
        "action inconnue : crossing, arrival, control, incident, arrival-request, enquiry-answer, decision ou cancellation",
        "ação desconhecida: crossing, arrival, control, incident, arrival-request, enquiry-answer, decision ou cancellation" } },
    { "call.request_id", {
        "request_id is required: 1-64 printable characters chosen by the caller, the same when a call is retried",
        "request_id est obligatoire : 1 à 64 caractères imprimables choisis par l'appelant, les mêmes quand l'appel est répété",
        "request_id é obrigatório: 1 a 64 caracteres imprimíveis escolhidos por quem chama, os mesmos quando o pedido é repetido" } },
    { "call.request_reused", {
        "request_id \"{1}\" was already used for another call ({2}): choose a new request id for a new call",
        "request_id « {1} » a déjà servi pour un autre appel ({2}) : choisissez un nouvel identifiant pour un nouvel appel",
        "request_id \"{1}\" já foi usado noutro pedido ({2}): escolha um novo identificador para um novo pedido" } },
    { "call.time", {
        "at \"{1}\" is not a UTC time (expected YYYY-MM-DDThh:mm:ssZ, e.g. 2026-03-05T16:20:00Z)",
        "at « {1} » n'est pas une heure UTC (attendu AAAA-MM-JJThh:mm:ssZ, par exemple 2026-03-05T16:20:00Z)",
        "at \"{1}\" não é uma hora UTC (esperado AAAA-MM-DDThh:mm:ssZ, por exemplo 2026-03-05T16:20:00Z)" } },
    { "call.result", {
        "result must be A1 (satisfactory), A2 (considered satisfactory) or B1 (discrepancies)",
        "result doit être A1 (conforme), A2 (considéré conforme) ou B1 (divergences)",
        "result deve ser A1 (conforme), A2 (considerado conforme) ou B1 (divergências)" } },
    { "call.seals_intact", {
        "seals_intact is required: true if the seals were found intact, false if broken",
        "seals_intact est obligatoire : true si les scellés sont intacts, false s'ils sont rompus",
        "seals_intact é obrigatório: true se os selos estão intactos, false se estão quebrados" } },
    { "call.seals_mismatch", {
        "the seals found ({1}) are not the movement's current seals ({2}): a control with other seals is B1, with the discrepancies",
        "les scellés constatés ({1}) ne sont pas les scellés actuels du mouvement ({2}) : un contrôle avec d'autres scellés est B1, avec les divergences",
        "os selos encontrados ({1}) não são os selos atuais do movimento ({2}): um controlo com outros selos é B1, com as divergências" } },
    { "call.seals_flag", {
        "seals_intact contradicts the seals found ({1}) against the movement's current seals ({2}): leave seals_intact out",
        "seals_intact contredit les scellés constatés ({1}) comparés aux scellés actuels du mouvement ({2}) : omettez seals_intact",
        "seals_intact contradiz os selos encontrados ({1}) comparados com os selos atuais do movimento ({2}): omita seals_intact" } },
    { "call.discrepancies", {
        "discrepancies is required with result B1: describe what differs from the declaration",
        "discrepancies est obligatoire avec le résultat B1 : décrivez ce qui diffère de la déclaration",
        "discrepancies é obrigatório com o resultado B1: descreva o que difere da declaração" } },
    { "call.incident_type", {
        "type must be SB (seals broken), TS (transhipment), AC (accident), RD (deviation from the itinerary) or OT (other)",
        "type doit être SB (scellés rompus), TS (transbordement), AC (accident), RD (déviation de l'itinéraire) ou OT (autre)",
        "type deve ser SB (selos quebrados), TS (transbordo), AC (acidente), RD (desvio do itinerário) ou OT (outro)" } },
    { "call.incident_text", {
        "text is required: say what happened",
        "text est obligatoire : dites ce qui s'est passé",
        "text é obrigatório: diga o que aconteceu" } },
    { "call.seal", {
        "new_seals: \"{1}\" is not a seal identity (1-{2} printable characters)",
        "new_seals : « {1} » n'est pas un numéro de scellé (1 à {2} caractères imprimables)",
        "new_seals: \"{1}\" não é um número de selo (1 a {2} caracteres imprimíveis)" } },
    { "call.new_means", {
        "new_means must be the new truck's registration (1-35 printable characters)",
        "new_means doit être l'immatriculation du nouveau camion (1 à 35 caractères imprimables)",
        "new_means deve ser a matrícula do novo camião (1 a 35 caracteres imprimíveis)" } },
    { "call.new_nationality", {
        "new_nationality is required with new_means: the country of registration, two capital letters",
        "new_nationality est obligatoire avec new_means : le pays d'immatriculation, deux lettres majuscules",
        "new_nationality é obrigatório com new_means: o país de matrícula, duas letras maiúsculas" } },
    { "call.answer", {
        "answer must be AR (the goods arrived), NP (not presented at this office) or UN (movement unknown here)",
        "answer doit être AR (marchandises arrivées), NP (non présentées à ce bureau) ou UN (mouvement inconnu ici)",
        "answer deve ser AR (mercadorias chegaram), NP (não apresentadas nesta estância) ou UN (movimento desconhecido aqui)" } },
    { "call.answer_text", {
        "text is required with NP or UN: say what is known of the goods",
        "text est obligatoire avec NP ou UN : dites ce que l'on sait des marchandises",
        "text é obrigatório com NP ou UN: diga o que se sabe das mercadorias" } },
    { "call.decision", {
        "decision must be write-off (discharge and release the guarantee) or recovery (the guarantee is called)",
        "decision doit être write-off (apurer et libérer la garantie) ou recovery (la garantie est appelée)",
        "decision deve ser write-off (apurar e libertar a garantia) ou recovery (a garantia é executada)" } },
    { "call.reason", {
        "reason is required: the reason of the cancellation",
        "reason est obligatoire : le motif de l'annulation",
        "reason é obrigatório: o motivo da anulação" } },
    { "call.departure", {
        "departure_office is required: the movement is not known here and its MRN does not name an office of the table",
        "departure_office est obligatoire : le mouvement est inconnu ici et son MRN ne désigne aucun bureau de la table",
        "departure_office é obrigatório: o movimento é desconhecido aqui e o seu MRN não designa nenhuma estância da tabela" } },
    { "call.invalid_message", {
        "the values do not make a valid {1} message: {2}",
        "les valeurs ne forment pas un message {1} valide : {2}",
        "os valores não formam uma mensagem {1} válida: {2}" } },
    /* sigmat-generic's problem titles (RFC 7807), by problem name */
    { "problem.invalid-json", { "Request body is not valid JSON", "Le corps de la requête n'est pas du JSON valide", "O corpo do pedido não é JSON válido" } },
    { "problem.invalid-xml", { "Request body is not well-formed XML", "Le corps de la requête n'est pas du XML bien formé", "O corpo do pedido não é XML bem formado" } },
    { "problem.validation", { "Invalid request", "Requête invalide", "Pedido inválido" } },
    { "problem.mapping", { "The XML mapping refused the document", "La transformation XML a refusé le document", "A transformação XML recusou o documento" } },
    { "problem.unauthorized", { "Missing or unknown bearer token", "Jeton absent ou inconnu", "Código ausente ou desconhecido" } },
    { "problem.forbidden-office", { "Office not allowed for this token", "Bureau non autorisé pour ce jeton", "Estância não autorizada para este código" } },
    { "problem.not-found", { "No such resource", "Ressource inexistante", "Recurso inexistente" } },
    { "problem.unknown-mrn", { "Unknown movement", "Mouvement inconnu", "Movimento desconhecido" } },
    { "problem.method-not-allowed", { "Method not allowed", "Méthode non permise", "Método não permitido" } },
    { "problem.conflict", { "Not allowed in the movement's current state", "Interdit dans l'état actuel du mouvement", "Não permitido no estado atual do movimento" } },
    { "problem.payload-too-large", { "Request body too large", "Corps de la requête trop grand", "Corpo do pedido demasiado grande" } },
    { "problem.unsupported-media-type", { "Unsupported media type", "Type de contenu non pris en charge", "Tipo de conteúdo não suportado" } },
    { "problem.idempotency-key-reused", { "Idempotency key reused with a different request", "Clé d'idempotence réutilisée pour une autre requête", "Chave de idempotência reutilizada noutro pedido" } },
    { "problem.internal", { "Internal error", "Erreur interne", "Erro interno" } },
    { "internal", {
        "internal error: {1}",
        "erreur interne : {1}",
        "erro interno: {1}" } },
};
#define S_N (sizeof s_catalogue / sizeof s_catalogue[0])

static const char *const s_tags[I18N_COUNT] = { "en", "fr", "pt" };

const char *
i18n_tag (i18n_lang_t lang)
{
    return lang >= 0 && lang < I18N_COUNT ? s_tags[lang] : "en";
}

i18n_lang_t
i18n_pick (const char *h, i18n_lang_t fallback)
{
    i18n_lang_t best = fallback;
    double best_q = 0;
    while (h && *h) {
        h += strspn (h, " ,");
        size_t n = strcspn (h, ",;");
        char tag[3] = { 0 };
        if (n >= 2) {
            tag[0] = h[0];
            tag[1] = h[1];
        }
        const char *p = h + n;
        double q = 1;
        if (*p == ';') {
            const char *qs = strstr (p, "q=");
            const char *end = p + strcspn (p, ",");
            if (qs && qs < end)
                q = strtod (qs + 2, NULL);
            p = end;
        }
        if (n == 2 || (n > 2 && (h[2] == '-' || h[2] == '_')))
            for (int l = 0; l < I18N_COUNT; l++)
                if (!strcasecmp (tag, s_tags[l]) && q > best_q) {
                    best = (i18n_lang_t) l;
                    best_q = q;
                }
        h = p;
    }
    return best;
}

static const s_entry_t *
s_find (const char *code)
{
    for (size_t i = 0; code && i < S_N; i++)
        if (!strcmp (s_catalogue[i].code, code))
            return &s_catalogue[i];
    return NULL;
}

const char *
i18n_format (i18n_lang_t lang, const char *code, char *out, size_t size, const char *const a[5])
{
    const s_entry_t *e = s_find (code);
    const char *f = e ? e->text[lang >= 0 && lang < I18N_COUNT ? lang : I18N_EN] : code;
    size_t o = 0;
    if (!size)
        return out;
    for (; f && *f && o + 1 < size; f++) {
        if (f[0] == '{' && f[1] >= '1' && f[1] <= '5' && f[2] == '}') {
            const char *s = a ? a[f[1] - '1'] : NULL;
            for (; s && *s && o + 1 < size; s++)
                out[o++] = *s;
            f += 2;
        }
        else
            out[o++] = *f;
    }
    out[o] = 0;
    return out;
}

/* The placeholders a text uses, as a bit set. */
static unsigned
s_holes (const char *t)
{
    unsigned m = 0;
    for (; t && *t; t++)
        if (t[0] == '{' && t[1] >= '1' && t[1] <= '5' && t[2] == '}')
            m |= 1u << (t[1] - '1');
    return m;
}

int
i18n_check (const char **bad)
{
    for (size_t i = 0; i < S_N; i++) {
        const s_entry_t *e = &s_catalogue[i];
        int ok = s_find (e->code) == e;
        for (int l = 0; l < I18N_COUNT && ok; l++)
            ok = e->text[l] && e->text[l][0] && s_holes (e->text[l]) == s_holes (e->text[0]);
        if (!ok) {
            *bad = e->code;
            return 0;
        }
    }
    return 1;
}
