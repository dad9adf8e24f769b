/* dssi_render: a tiny offline DSSI host.
 *   dssi_render list   PLUGIN.so [INDEX] [CONFIG]            -> "bank\tprogram\tname" per program
 *   dssi_render render PLUGIN.so INDEX CONFIG RATE BANK PROG NOTE VEL HOLD_S TOTAL_S WARMUP_S OUT.f32
 * CONFIG: a file of "key<TAB>value" lines passed to configure() ("-" for none).
 * Output: interleaved float32, channels = number of audio outputs (printed on stderr). */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <ladspa.h>
#include <dssi.h>

#define BLOCK 64
#include <unistd.h>
static LADSPA_Data *g_ctl;
static int g_ports_now;

static LADSPA_Data default_value(const LADSPA_PortRangeHint *h, unsigned long rate) {
    LADSPA_PortRangeHintDescriptor d = h->HintDescriptor;
    float lo = h->LowerBound, hi = h->UpperBound;
    if (LADSPA_IS_HINT_SAMPLE_RATE(d)) { lo *= rate; hi *= rate; }
    int lg = LADSPA_IS_HINT_LOGARITHMIC(d) && lo > 0 && hi > 0;
    switch (d & LADSPA_HINT_DEFAULT_MASK) {
    case LADSPA_HINT_DEFAULT_MINIMUM: return lo;
    case LADSPA_HINT_DEFAULT_LOW: return lg ? expf(logf(lo) * .75f + logf(hi) * .25f) : lo * .75f + hi * .25f;
    case LADSPA_HINT_DEFAULT_MIDDLE: return lg ? sqrtf(lo * hi) : (lo + hi) / 2;
    case LADSPA_HINT_DEFAULT_HIGH: return lg ? expf(logf(lo) * .25f + logf(hi) * .75f) : lo * .25f + hi * .75f;
    case LADSPA_HINT_DEFAULT_MAXIMUM: return hi;
    case LADSPA_HINT_DEFAULT_0: return 0;
    case LADSPA_HINT_DEFAULT_1: return 1;
    case LADSPA_HINT_DEFAULT_100: return 100;
    case LADSPA_HINT_DEFAULT_440: return 440;
    default:
        if (LADSPA_IS_HINT_BOUNDED_BELOW(d) && LADSPA_IS_HINT_BOUNDED_ABOVE(d)) return lo > 0 ? lo : (hi < 0 ? hi : 0);
        if (LADSPA_IS_HINT_BOUNDED_BELOW(d)) return lo;
        if (LADSPA_IS_HINT_BOUNDED_ABOVE(d)) return hi;
        return 0;
    }
}

static void apply_config(const DSSI_Descriptor *dd, LADSPA_Handle h, const char *path) {
    if (!path || !strcmp(path, "-") || !dd->configure) return;
    FILE *f = fopen(path, "r");
    if (!f) { perror(path); exit(2); }
    size_t cap = 0; char *line = NULL; ssize_t n;
    while ((n = getline(&line, &cap, f)) > 0) {
        if (line[n - 1] == '\n') line[--n] = 0;
        char *tab = strchr(line, '\t');
        if (!tab) continue;
        *tab = 0;
        if (!strncmp(line, "port:", 5)) {  /* set a control input port by name (after the program change) */
            if (!g_ports_now) continue;
            const LADSPA_Descriptor *ld = dd->LADSPA_Plugin; int ok = 0;
            for (unsigned long p = 0; p < ld->PortCount; p++)
                if (LADSPA_IS_PORT_CONTROL(ld->PortDescriptors[p]) && LADSPA_IS_PORT_INPUT(ld->PortDescriptors[p])
                    && !strcmp(ld->PortNames[p], line + 5)) { g_ctl[p] = atof(tab + 1); ok = 1; }
            if (!ok) fprintf(stderr, "no port %s\n", line + 5);
            continue;
        }
        if (g_ports_now) continue;
        char *msg = dd->configure(h, line, tab + 1);
        if (msg) { fprintf(stderr, "configure %s: %s\n", line, msg); free(msg); }
    }
    free(line); fclose(f);
}

static void run(const DSSI_Descriptor *dd, LADSPA_Handle h, unsigned long n, snd_seq_event_t *ev, unsigned long nev) {
    if (dd->run_synth) dd->run_synth(h, n, ev, nev);
    else if (dd->run_multiple_synths) {
        snd_seq_event_t *evs[1] = {ev}; unsigned long counts[1] = {nev};
        dd->run_multiple_synths(1, &h, n, evs, counts);
    } else if (nev == 0) dd->LADSPA_Plugin->run(h, n);
    else { fprintf(stderr, "plugin has no run_synth\n"); exit(3); }
}

int main(int argc, char **argv) {
    if (argc < 3) { fprintf(stderr, "usage: see source\n"); return 1; }
    int listing = !strcmp(argv[1], "list");
    void *lib = dlopen(argv[2], RTLD_NOW | RTLD_LOCAL);
    if (!lib) { fprintf(stderr, "dlopen: %s\n", dlerror()); return 2; }
    DSSI_Descriptor_Function df = (DSSI_Descriptor_Function)dlsym(lib, "dssi_descriptor");
    if (!df) { fprintf(stderr, "no dssi_descriptor\n"); return 2; }
    unsigned long index = argc > 3 ? strtoul(argv[3], 0, 10) : 0;
    const DSSI_Descriptor *dd = df(index);
    if (!dd) { fprintf(stderr, "no descriptor %lu\n", index); return 2; }
    const LADSPA_Descriptor *ld = dd->LADSPA_Plugin;
    unsigned long rate = listing ? 44100 : strtoul(argv[5], 0, 10);
    LADSPA_Handle h = ld->instantiate(ld, rate);
    if (!h) { fprintf(stderr, "instantiate failed\n"); return 2; }
    unsigned long np = ld->PortCount, nout = 0;
    LADSPA_Data *ctl = g_ctl = calloc(np, sizeof(LADSPA_Data));
    LADSPA_Data **outs = calloc(np, sizeof(LADSPA_Data *));
    LADSPA_Data zeros[BLOCK] = {0};
    for (unsigned long p = 0; p < np; p++) {
        LADSPA_PortDescriptor pd = ld->PortDescriptors[p];
        if (LADSPA_IS_PORT_CONTROL(pd)) {
            if (LADSPA_IS_PORT_INPUT(pd)) ctl[p] = default_value(&ld->PortRangeHints[p], rate);
            ld->connect_port(h, p, &ctl[p]);
        } else if (LADSPA_IS_PORT_OUTPUT(pd)) {
            outs[nout] = calloc(BLOCK, sizeof(LADSPA_Data));
            ld->connect_port(h, p, outs[nout++]);
        } else ld->connect_port(h, p, zeros);
    }
    apply_config(dd, h, argc > 4 ? argv[4] : NULL);
    if (ld->activate) ld->activate(h);
    if (listing) {
        const DSSI_Program_Descriptor *pr;
        for (unsigned long i = 0; dd->get_program && (pr = dd->get_program(h, i)); i++)
            printf("%lu\t%lu\t%s\n", pr->Bank, pr->Program, pr->Name);
        fprintf(stderr, "label=%s name=%s outputs=%lu ports=%lu\n", ld->Label, ld->Name, nout, np);
        for (unsigned long p = 0; p < np; p++)
            if (LADSPA_IS_PORT_CONTROL(ld->PortDescriptors[p]) && LADSPA_IS_PORT_INPUT(ld->PortDescriptors[p]))
                fprintf(stderr, "  control %lu %s = %g [%g, %g]\n", p, ld->PortNames[p], ctl[p],
                        ld->PortRangeHints[p].LowerBound, ld->PortRangeHints[p].UpperBound);
        return 0;
    }
    if (argc < 14) { fprintf(stderr, "render needs 13 arguments\n"); return 1; }
    unsigned long bank = strtoul(argv[6], 0, 10), prog = strtoul(argv[7], 0, 10);
    int note = atoi(argv[8]), vel = atoi(argv[9]);
    unsigned long hold = (unsigned long)llround(atof(argv[10]) * rate), total = (unsigned long)llround(atof(argv[11]) * rate);
    unsigned long warm = (unsigned long)llround(atof(argv[12]) * rate);
    int skip_program = !strcmp(argv[6], "-");
    if (!skip_program && dd->get_program) {  /* some plugins (ZynAddSubFX) map their banks only when listed */
        const DSSI_Program_Descriptor *pr; int found = 0;
        for (unsigned long i = 0; (pr = dd->get_program(h, i)); i++)
            if (pr->Bank == bank && pr->Program == prog) { fprintf(stderr, "program=%s\n", pr->Name); found = 1; break; }
        if (!found) { fprintf(stderr, "no program %lu/%lu\n", bank, prog); return 4; }
    }
    if (!skip_program && dd->select_program) dd->select_program(h, bank, prog);
    g_ports_now = 1; apply_config(dd, h, argv[4]);
    if (getenv("DSSI_DUMP_PORTS"))
        for (unsigned long p = 0; p < np; p++)
            if (LADSPA_IS_PORT_CONTROL(ld->PortDescriptors[p]) && LADSPA_IS_PORT_INPUT(ld->PortDescriptors[p]))
                fprintf(stderr, "port\t%s\t%g\n", ld->PortNames[p], ctl[p]);
    const char *sl = getenv("DSSI_WARM_SLEEP_US");  /* real time per warm-up block, for plugins that load in a thread */
    useconds_t sleep_us = sl ? (useconds_t)atoi(sl) : 0;
    for (unsigned long t = 0; t < warm; t += BLOCK) { run(dd, h, BLOCK, NULL, 0); if (sleep_us) usleep(sleep_us); }
    FILE *out = fopen(argv[13], "wb");
    if (!out) { perror(argv[13]); return 2; }
    float *inter = malloc(sizeof(float) * BLOCK * (nout ? nout : 1));
    for (unsigned long t = 0; t < total; t += BLOCK) {
        unsigned long n = total - t < BLOCK ? total - t : BLOCK;
        snd_seq_event_t ev; memset(&ev, 0, sizeof ev);
        unsigned long nev = 0;
        if (t == 0) {
            ev.type = SND_SEQ_EVENT_NOTEON; ev.time.tick = 0;
            ev.data.note.channel = 0; ev.data.note.note = note; ev.data.note.velocity = vel; nev = 1;
        } else if (hold >= t && hold < t + n) {
            ev.type = SND_SEQ_EVENT_NOTEOFF; ev.time.tick = hold - t;
            ev.data.note.channel = 0; ev.data.note.note = note; ev.data.note.velocity = 0; nev = 1;
        }
        run(dd, h, n, nev ? &ev : NULL, nev);
        for (unsigned long i = 0; i < n; i++)
            for (unsigned long c = 0; c < nout; c++) inter[i * nout + c] = outs[c][i];
        fwrite(inter, sizeof(float), n * nout, out);
    }
    fclose(out);
    fprintf(stderr, "channels=%lu\n", nout);
    if (ld->deactivate) ld->deactivate(h);
    ld->cleanup(h);
    return 0;
}
