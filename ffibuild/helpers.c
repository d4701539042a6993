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

/*
 * Helpers for aeron_cffi (declared to cffi in ffibuild/helpers.cdef).
 */
#include <stdlib.h>
#include <string.h>
#include "uri/aeron_uri_string_builder.h"

/* --- counters: the atomic accesses Aeron's Java Counter exposes ------------------- */

int64_t aeron_cffi_counter_get(int64_t *addr)
{
    return __atomic_load_n(addr, __ATOMIC_ACQUIRE);
}

void aeron_cffi_counter_set(int64_t *addr, int64_t value)
{
    __atomic_store_n(addr, value, __ATOMIC_RELEASE);
}

int64_t aeron_cffi_counter_get_and_add(int64_t *addr, int64_t delta)
{
    return __atomic_fetch_add(addr, delta, __ATOMIC_SEQ_CST);
}

bool aeron_cffi_counter_compare_and_set(int64_t *addr, int64_t expected, int64_t update)
{
    return __atomic_compare_exchange_n(addr, &expected, update, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
}

/* --- channel URIs: a heap builder, and iteration over its parameters ---------------- */

aeron_uri_string_builder_t *aeron_cffi_uri_builder_new(const char *uri)
{
    aeron_uri_string_builder_t *builder = calloc(1, sizeof(aeron_uri_string_builder_t));
    if (NULL == builder)
    {
        AERON_SET_ERR(ENOMEM, "%s", "could not allocate a URI string builder");
        return NULL;
    }
    int rc = NULL == uri ?
        aeron_uri_string_builder_init_new(builder) : aeron_uri_string_builder_init_on_string(builder, uri);
    if (rc < 0)
    {
        free(builder);
        return NULL;
    }
    return builder;
}

void aeron_cffi_uri_builder_delete(aeron_uri_string_builder_t *builder)
{
    if (NULL != builder)
    {
        aeron_uri_string_builder_close(builder);
        free(builder);
    }
}

/* Aeron's URI string builder (uri/aeron_uri_string_builder.h is not a public header). */
int aeron_cffi_uri_builder_put(aeron_uri_string_builder_t *builder, const char *key, const char *value)
{
    return aeron_uri_string_builder_put(builder, key, value);
}

const char *aeron_cffi_uri_builder_get(aeron_uri_string_builder_t *builder, const char *key)
{
    return aeron_uri_string_builder_get(builder, key);
}

int aeron_cffi_uri_builder_sprint(aeron_uri_string_builder_t *builder, char *buffer, size_t buffer_len)
{
    return aeron_uri_string_builder_sprint(builder, buffer, buffer_len);
}

int aeron_cffi_uri_builder_set_initial_position(
    aeron_uri_string_builder_t *builder, int64_t position, int32_t initial_term_id, int32_t term_length)
{
    return aeron_uri_string_builder_set_initial_position(builder, position, initial_term_id, term_length);
}

/* Slot capacity of the builder's parameter map (iterate with _param_at). */
size_t aeron_cffi_uri_builder_capacity(aeron_uri_string_builder_t *builder)
{
    return builder->params.capacity;
}

/* The key/value in slot `index`, or 0 for an empty slot. */
int aeron_cffi_uri_builder_param_at(
    aeron_uri_string_builder_t *builder, size_t index, const char **key, const char **value)
{
    if (index >= builder->params.capacity || NULL == builder->params.values[index])
    {
        return 0;
    }
    *key = builder->params.keys[index].str;
    *value = aeron_uri_string_builder_get(builder, *key);
    return 1;
}

/* --- batch poll: copies fragments into caller-owned arrays, one C->Python crossing per poll --- */

typedef struct aeron_cffi_batch_stct
{
    uint8_t *data;
    size_t capacity;
    size_t used;
    int64_t *offsets;     /* offsets[i]: start of fragment i in data; offsets[count] = used */
    int64_t *positions;   /* stream position after fragment i */
    int32_t *session_ids;
    size_t max_fragments;
    size_t count;
    size_t required;      /* set when the first fragment/message is longer than capacity */
}
aeron_cffi_batch_t;

static aeron_controlled_fragment_handler_action_t aeron_cffi_batch_handler(
    void *clientd, const uint8_t *buffer, size_t length, aeron_header_t *header)
{
    aeron_cffi_batch_t *batch = (aeron_cffi_batch_t *)clientd;
    if (batch->count >= batch->max_fragments || batch->capacity - batch->used < length)
    {
        if (0 == batch->count && length > batch->capacity)
        {
            batch->required = length;
        }
        return AERON_ACTION_ABORT;
    }
    aeron_header_values_t values;
    aeron_header_values(header, &values);
    memcpy(batch->data + batch->used, buffer, length);
    batch->offsets[batch->count] = (int64_t)batch->used;
    batch->positions[batch->count] = aeron_header_position(header);
    batch->session_ids[batch->count] = values.frame.session_id;
    batch->used += length;
    batch->count++;
    batch->offsets[batch->count] = (int64_t)batch->used;
    return AERON_ACTION_CONTINUE;
}

/*
 * Poll up to max_fragments fragments (each at most `capacity` bytes in total) into the
 * caller's arrays: offsets needs max_fragments + 1 slots. Returns the fragment count,
 * or -1 with Aeron's error set. A fragment that does not fit stays for the next poll.
 */
int aeron_cffi_subscription_poll_batch(
    aeron_subscription_t *subscription,
    uint8_t *data,
    size_t capacity,
    int64_t *offsets,
    int64_t *positions,
    int32_t *session_ids,
    size_t max_fragments)
{
    aeron_cffi_batch_t batch = { data, capacity, 0, offsets, positions, session_ids, max_fragments, 0 };
    offsets[0] = 0;
    int rc = aeron_subscription_controlled_poll(subscription, aeron_cffi_batch_handler, &batch, max_fragments);
    return rc < 0 ? rc : (int)batch.count;
}

/* --- message batch poll: as above, but whole messages -------------------------------
 * Fragments go through Aeron's controlled fragment assembler, whose per-session buffers
 * live in the aeron_cffi_message_batch_t across polls, so a message above the MTU is
 * copied out once, complete, even when its fragments arrive over several polls. */

typedef struct aeron_cffi_message_batch_stct
{
    aeron_cffi_batch_t fill;
    aeron_controlled_fragment_assembler_t *assembler;
}
aeron_cffi_message_batch_t;

int aeron_cffi_message_batch_create(aeron_cffi_message_batch_t **batch)
{
    aeron_cffi_message_batch_t *created = calloc(1, sizeof(aeron_cffi_message_batch_t));
    if (NULL == created)
    {
        AERON_SET_ERR(ENOMEM, "%s", "Unable to allocate message batch");
        return -1;
    }
    if (aeron_controlled_fragment_assembler_create(&created->assembler, aeron_cffi_batch_handler, &created->fill) < 0)
    {
        free(created);
        return -1;
    }
    *batch = created;
    return 0;
}

void aeron_cffi_message_batch_delete(aeron_cffi_message_batch_t *batch)
{
    aeron_controlled_fragment_assembler_delete(batch->assembler);
    free(batch);
}

int aeron_cffi_subscription_poll_messages(
    aeron_subscription_t *subscription,
    aeron_cffi_message_batch_t *batch,
    uint8_t *data,
    size_t capacity,
    int64_t *offsets,
    int64_t *positions,
    int32_t *session_ids,
    size_t max_messages,
    size_t *required)
{
    aeron_cffi_batch_t fill = { data, capacity, 0, offsets, positions, session_ids, max_messages, 0, 0 };
    batch->fill = fill;
    offsets[0] = 0;
    int rc = aeron_subscription_controlled_poll(
        subscription, aeron_controlled_fragment_assembler_handler, batch->assembler, max_messages);
    *required = batch->fill.required;
    return rc < 0 ? rc : (int)batch->fill.count;
}

/* === fast paths for aeron_cffi.fast (issue #6, benchmarks owner) ===================
 * Whole batches per C call, so Python crosses into C once per batch, not per message,
 * and waits (back pressure, an empty stream) happen here with the GIL released
 * (cffi releases it around every call). Retries busy-spin, as Aeron's C samples do.
 */
#include <sched.h>

typedef int64_t (*aeron_cffi_offer_func_t)(void *publication, const uint8_t *buffer, size_t length);

static int64_t aeron_cffi_offer_concurrent(void *publication, const uint8_t *buffer, size_t length)
{
    return aeron_publication_offer((aeron_publication_t *)publication, buffer, length, NULL, NULL);
}

static int64_t aeron_cffi_offer_exclusive(void *publication, const uint8_t *buffer, size_t length)
{
    return aeron_exclusive_publication_offer((aeron_exclusive_publication_t *)publication, buffer, length, NULL, NULL);
}

static bool aeron_cffi_offer_retryable(int64_t result)
{
    return AERON_PUBLICATION_NOT_CONNECTED == result || AERON_PUBLICATION_BACK_PRESSURED == result ||
        AERON_PUBLICATION_ADMIN_ACTION == result;
}

/* Offer message i = data[offsets[i]:offsets[i + 1]] for i in [0, count), in order. A
 * retryable outcome is retried until max_wait_ns have passed since the first retry.
 * Returns how many were offered; *result is the last offer's result (a position, or
 * the code that stopped the batch). */
static size_t aeron_cffi_offer_batch(
    aeron_cffi_offer_func_t offer,
    void *publication,
    const uint8_t *data,
    const int64_t *offsets,
    size_t count,
    int64_t max_wait_ns,
    int64_t *result)
{
    int64_t deadline_ns = INT64_MIN;
    size_t sent = 0;
    *result = 0;
    while (sent < count)
    {
        int64_t outcome = offer(publication, data + offsets[sent], (size_t)(offsets[sent + 1] - offsets[sent]));
        *result = outcome;
        if (outcome > 0)
        {
            sent++;
            continue;
        }
        if (!aeron_cffi_offer_retryable(outcome))
        {
            break;
        }
        int64_t now_ns = aeron_nano_clock();
        if (INT64_MIN == deadline_ns)
        {
            deadline_ns = now_ns + max_wait_ns;
        }
        if (now_ns >= deadline_ns)
        {
            break;
        }
    }
    return sent;
}

size_t aeron_cffi_publication_offer_batch(
    aeron_publication_t *publication, const uint8_t *data, const int64_t *offsets, size_t count,
    int64_t max_wait_ns, int64_t *result)
{
    return aeron_cffi_offer_batch(
        aeron_cffi_offer_concurrent, publication, data, offsets, count, max_wait_ns, result);
}

size_t aeron_cffi_exclusive_publication_offer_batch(
    aeron_exclusive_publication_t *publication, const uint8_t *data, const int64_t *offsets, size_t count,
    int64_t max_wait_ns, int64_t *result)
{
    return aeron_cffi_offer_batch(
        aeron_cffi_offer_exclusive, publication, data, offsets, count, max_wait_ns, result);
}

/* aeron_cffi_subscription_poll_batch, polled again until it returns fragments, fails,
 * or max_wait_ns have passed (0: one poll). */
int aeron_cffi_subscription_poll_batch_wait(
    aeron_subscription_t *subscription,
    uint8_t *data,
    size_t capacity,
    int64_t *offsets,
    int64_t *positions,
    int32_t *session_ids,
    size_t max_fragments,
    int64_t max_wait_ns)
{
    int64_t deadline_ns = aeron_nano_clock() + max_wait_ns;
    for (;;)
    {
        int count = aeron_cffi_subscription_poll_batch(
            subscription, data, capacity, offsets, positions, session_ids, max_fragments);
        if (0 != count || aeron_nano_clock() >= deadline_ns)
        {
            return count;
        }
    }
}
/* --- a poll's fragments, copied for a Python loop to hand to a handler --------------
 * Subscription.poll / Image.poll with a Python handler cross C->Python once per fragment
 * (an extern "Python" callback re-acquires the GIL: ~650 ns each on 2 cores). Here one
 * C call copies a whole poll's fragments into caller-owned arrays, each with a copy of
 * its header: a full aeron_header_t whose frame points at its own copy of the frame
 * header, so the aeron_header_* functions answer for the copy as for the original. The
 * poll is controlled only to stop (ABORT) at a fragment that no longer fits `capacity`,
 * which stays for the next poll; otherwise it continues as aeron_*_poll does. */
#include "aeron_image.h"
#include "protocol/aeron_udp_protocol.h"
#include "aeron_subscription.h"

typedef struct aeron_cffi_fragment_copy_stct
{
    aeron_header_t header;
    aeron_data_header_t frame;
}
aeron_cffi_fragment_copy_t;

typedef struct aeron_cffi_copies_stct
{
    uint8_t *data;
    size_t capacity;
    size_t used;
    int64_t *offsets;  /* offsets[i]: start of fragment i in data; offsets[count] = used */
    aeron_cffi_fragment_copy_t *copies;
    size_t count;
}
aeron_cffi_copies_t;

aeron_header_t *aeron_cffi_fragment_copy_header(aeron_cffi_fragment_copy_t *copies, size_t index)
{
    return &copies[index].header;
}

static aeron_controlled_fragment_handler_action_t aeron_cffi_copy_handler(
    void *clientd, const uint8_t *buffer, size_t length, aeron_header_t *header)
{
    aeron_cffi_copies_t *batch = (aeron_cffi_copies_t *)clientd;
    if (batch->capacity - batch->used < length)
    {
        return AERON_ACTION_ABORT;
    }
    aeron_cffi_fragment_copy_t *copy = &batch->copies[batch->count];
    copy->header = *header;
    copy->frame = *header->frame;
    copy->header.frame = &copy->frame;
    memcpy(batch->data + batch->used, buffer, length);
    batch->used += length;
    batch->count++;
    batch->offsets[batch->count] = (int64_t)batch->used;
    return AERON_ACTION_CONTINUE;
}

/* Poll `subscription`, or `image` when subscription is NULL, for up to fragment_limit
 * fragments (copies and offsets hold fragment_limit and fragment_limit + 1 entries);
 * returns how many were copied, or -1 with Aeron's error set. */
int aeron_cffi_poll_copies(
    aeron_subscription_t *subscription, aeron_image_t *image, uint8_t *data, size_t capacity, int64_t *offsets,
    aeron_cffi_fragment_copy_t *copies, size_t fragment_limit)
{
    aeron_cffi_copies_t batch = { data, capacity, 0, offsets, copies, 0 };
    offsets[0] = 0;
    int rc = NULL != subscription ?
        aeron_subscription_controlled_poll(subscription, aeron_cffi_copy_handler, &batch, fragment_limit) :
        aeron_image_controlled_poll(image, aeron_cffi_copy_handler, &batch, fragment_limit);
    return rc < 0 ? rc : (int)batch.count;
}
/* === end of fast paths for aeron_cffi.fast ===================================== */

/* --- reserved values: asked of Python before the offer, handed to C from an array ----- */

/* A Python reserved value supplier runs before the C offer, once per frame (see
 * PublicationBase._reserved_values): it may raise and nothing is sent, and concurrent
 * offers each have their own array. C then takes the values in frame order from here. */
const size_t AERON_CFFI_DATA_HEADER_LENGTH = AERON_DATA_HEADER_LENGTH;

typedef struct aeron_cffi_reserved_values_stct
{
    const int64_t *values;
    size_t count;
    size_t next;
}
aeron_cffi_reserved_values_t;

int64_t aeron_cffi_reserved_value_next(void *clientd, uint8_t *buffer, size_t frame_length)
{
    aeron_cffi_reserved_values_t *values = (aeron_cffi_reserved_values_t *)clientd;
    return values->next < values->count ? values->values[values->next++] : 0;
}

/* --- images: reject through the subscription the caller keeps open ------------------ */

/* aeron_image_reject reads image->subscription, which the client conductor sets to NULL
 * once an image that went unavailable has left its subscription's image lists: a reject
 * after that dereferences NULL. The caller passes the subscription it holds instead. */
int aeron_cffi_image_reject(aeron_subscription_t *subscription, aeron_image_t *image, const char *reason)
{
    aeron_image_constants_t constants;
    if (aeron_image_constants(image, &constants) < 0)
    {
        return -1;
    }
    return aeron_subscription_reject_image(subscription, constants.correlation_id, aeron_image_position(image), reason);
}
