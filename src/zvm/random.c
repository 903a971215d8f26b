/*
 * random.c -- the Z-machine random number generator (§2.4, @random),
 * matching frotz's seeded generator so that `dfrotz -s N` runs reproduce.
 *
 * Facts about frotz this follows (written from its documented behaviour):
 *  - standard mode: A = 0x015a4e35 * A + 1, value = ((A >> 16) & 0x7fff)
 *    % range + 1 (only bits 16..30 matter, so 32-bit arithmetic suffices);
 *  - @random 0 reseeds from the interpreter's seed source, which for
 *    `dfrotz -s N` is N again (and the clock without -s);
 *  - @random -N with N < 1000 enters counter mode: 0,1,..,N-1,0,... each
 *    taken % range + 1; N >= 1000 sets A = N;
 *  - at start (and @restart) the machine reseeds as for @random 0.
 */
#include "zvm/zvm_int.h"

#include <time.h>

static uint32_t seed_source(const jitrl_zvm *vm)
{
    if (vm->opt.seed_from_time) return (uint32_t)time(NULL);
    return (uint32_t)vm->opt.seed;
}

void zm_rng_seed(jitrl_zvm *vm, int32_t value)
{
    if (value == 0) {
        vm->r.rng_a = seed_source(vm);
        vm->r.rng_interval = 0;
    } else if (value < 1000) {
        vm->r.rng_counter = 0;
        vm->r.rng_interval = value;
    } else {
        vm->r.rng_a = (uint32_t)value;
        vm->r.rng_interval = 0;
    }
}

uint16_t zm_rng_next(jitrl_zvm *vm, int16_t range)
{
    if (range <= 0) {
        zm_rng_seed(vm, -(int32_t)range);
        return 0;
    }
    uint32_t result;
    if (vm->r.rng_interval != 0) {
        result = (uint32_t)vm->r.rng_counter++;
        if (vm->r.rng_counter >= vm->r.rng_interval) vm->r.rng_counter = 0;
    } else {
        vm->r.rng_a = 0x015a4e35u * vm->r.rng_a + 1u;
        result = (vm->r.rng_a >> 16) & 0x7fff;
    }
    return (uint16_t)(result % (uint32_t)range + 1);
}
