/*
 * C code compiled into aeron_cffi._aeron next to the Aeron headers.
 *
 * Missing definitions: aeronc.h (1.51.0) declares the agent-on-start accessors of
 * aeron_context_t, and the client conductor calls context->agent_on_start_func when
 * its thread starts, but the release defines neither setter nor getters. Without
 * them the extension would not load (undefined symbol), so they are defined here
 * on the same fields Aeron reads. A release that defines them makes the link fail
 * with a duplicate symbol (aeron_context.c is always linked), so they cannot
 * silently shadow Aeron's own.
 */
#include <errno.h>
#include "aeron_context.h"
#include "util/aeron_error.h"

int aeron_context_set_agent_on_start_function(
    aeron_context_t *context, aeron_agent_on_start_func_t value, void *state)
{
    if (NULL == context)
    {
        AERON_SET_ERR(EINVAL, "%s", "context must not be null");
        return -1;
    }
    context->agent_on_start_func = value;
    context->agent_on_start_state = state;
    return 0;
}

aeron_agent_on_start_func_t aeron_context_get_agent_on_start_function(aeron_context_t *context)
{
    return NULL == context ? NULL : context->agent_on_start_func;
}

void *aeron_context_get_agent_on_start_state(aeron_context_t *context)
{
    return NULL == context ? NULL : context->agent_on_start_state;
}
