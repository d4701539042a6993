/*
 * Archive recording and replay throughput through Aeron's C archive client (Aeron ships
 * no C sample for it). Written for aeron-cffi's benchmarks; the Python twin is
 * benchmarks/workers.py (archive), the Java ones are aeron-all's EmbeddedRecordingThroughput
 * and EmbeddedReplayThroughput. Output lines are in the Java samples' format:
 *
 *   Recorded <MB> MB @ <MB/s> MB/s
 *   Replayed <MB> MB @ <MB/s> MB/s
 *
 * 1. publish `messages` messages of `length` bytes on an exclusive publication that the
 *    archive records (LOCAL); time from the first offer until the recording position
 *    counter reaches the publication's position;
 * 2. replay the whole recording to aeron:ipc and time from the replay request until the
 *    last message is polled.
 */
#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aeronc.h"
#include "aeron_archive.h"

#define MEGABYTE (1024.0 * 1024.0)
#define REPLAY_CHANNEL "aeron:ipc"
#define REPLAY_STREAM_ID 101
#define FRAGMENT_LIMIT 256

static int fail(const char *what)
{
    fprintf(stderr, "%s: %s\n", what, aeron_errmsg());
    return EXIT_FAILURE;
}

static void count_fragment(void *clientd, const uint8_t *buffer, size_t length, aeron_header_t *header)
{
    (*(int64_t *)clientd)++;
}

static double mb_per_s(int64_t bytes, int64_t duration_ns)
{
    return ((double)bytes / MEGABYTE) / ((double)duration_ns / 1e9);
}

int main(int argc, char **argv)
{
    const char *aeron_dir = NULL, *control_channel = NULL, *channel = "aeron:ipc";
    int32_t stream_id = 1001;
    size_t length = 1024;
    int64_t messages = 100000;
    int opt;
    while ((opt = getopt(argc, argv, "p:C:c:s:L:m:")) != -1)
    {
        switch (opt)
        {
            case 'p': aeron_dir = optarg; break;
            case 'C': control_channel = optarg; break;
            case 'c': channel = optarg; break;
            case 's': stream_id = (int32_t)strtol(optarg, NULL, 0); break;
            case 'L': length = (size_t)strtoul(optarg, NULL, 0); break;
            case 'm': messages = strtoll(optarg, NULL, 0); break;
            default:
                fprintf(stderr, "usage: %s -p aeron-dir -C control-request-channel [-c channel] [-s stream-id] "
                    "[-L length] [-m messages]\n", argv[0]);
                return EXIT_FAILURE;
        }
    }
    if (NULL == aeron_dir || NULL == control_channel || length < sizeof(int64_t) || messages <= 0)
    {
        fprintf(stderr, "%s: -p and -C are required; length >= 8, messages > 0\n", argv[0]);
        return EXIT_FAILURE;
    }

    aeron_context_t *context = NULL;
    aeron_t *aeron = NULL;
    if (aeron_context_init(&context) < 0 || aeron_context_set_dir(context, aeron_dir) < 0 ||
        aeron_init(&aeron, context) < 0 || aeron_start(aeron) < 0)
    {
        return fail("aeron client");
    }

    aeron_archive_context_t *archive_context = NULL;
    aeron_archive_t *archive = NULL;
    if (aeron_archive_context_init(&archive_context) < 0 ||
        aeron_archive_context_set_aeron(archive_context, aeron) < 0 ||
        aeron_archive_context_set_control_request_channel(archive_context, control_channel) < 0 ||
        aeron_archive_context_set_control_response_channel(archive_context, "aeron:udp?endpoint=localhost:0") < 0 ||
        aeron_archive_connect(&archive, archive_context) < 0)
    {
        return fail("archive connect");
    }

    aeron_async_add_exclusive_publication_t *async_publication = NULL;
    aeron_exclusive_publication_t *publication = NULL;
    if (aeron_async_add_exclusive_publication(&async_publication, aeron, channel, stream_id) < 0)
    {
        return fail("add publication");
    }
    int rc;
    while (0 == (rc = aeron_async_add_exclusive_publication_poll(&publication, async_publication)))
    {
        sched_yield();
    }
    if (rc < 0)
    {
        return fail("add publication");
    }

    aeron_publication_constants_t constants;
    aeron_exclusive_publication_constants(publication, &constants);
    char recorded_channel[512];
    snprintf(recorded_channel, sizeof(recorded_channel), "%s%csession-id=%" PRId32,
        channel, NULL == strchr(channel, '?') ? '?' : '|', constants.session_id);
    int64_t recording_subscription_id;
    if (aeron_archive_start_recording(
        &recording_subscription_id, archive, recorded_channel, stream_id, AERON_ARCHIVE_SOURCE_LOCATION_LOCAL, false) < 0)
    {
        return fail("start recording");
    }

    aeron_counters_reader_t *counters = aeron_counters_reader(aeron);
    int32_t counter_id;
    while (AERON_NULL_COUNTER_ID ==
        (counter_id = aeron_archive_recording_pos_find_counter_id_by_session_id(counters, constants.session_id)))
    {
        sched_yield();
    }
    int64_t recording_id = aeron_archive_recording_pos_get_recording_id(counters, counter_id);
    int64_t *recorded_position = aeron_counters_reader_addr(counters, counter_id);

    uint8_t *message = calloc(1, length);
    int64_t start_ns = aeron_nano_clock();
    for (int64_t i = 0; i < messages; i++)
    {
        memcpy(message, &i, sizeof(i));
        int64_t result;
        while ((result = aeron_exclusive_publication_offer(publication, message, length, NULL, NULL)) < 0)
        {
            if (AERON_PUBLICATION_CLOSED == result || AERON_PUBLICATION_ERROR == result ||
                AERON_PUBLICATION_MAX_POSITION_EXCEEDED == result)
            {
                return fail("offer");
            }
        }
    }
    int64_t stop_position = aeron_exclusive_publication_position(publication);
    while (__atomic_load_n(recorded_position, __ATOMIC_ACQUIRE) < stop_position)
    {
        sched_yield();
    }
    int64_t record_ns = aeron_nano_clock() - start_ns;
    printf("Recorded %.02f MB @ %.02f MB/s\n", stop_position / MEGABYTE, mb_per_s(stop_position, record_ns));

    if (aeron_archive_stop_recording_subscription(archive, recording_subscription_id) < 0)
    {
        return fail("stop recording");
    }

    aeron_archive_replay_params_t params;
    aeron_archive_replay_params_init(&params);
    params.position = 0;
    params.length = stop_position;
    aeron_subscription_t *replay = NULL;
    int64_t received = 0;
    start_ns = aeron_nano_clock();
    if (aeron_archive_replay(&replay, archive, recording_id, REPLAY_CHANNEL, REPLAY_STREAM_ID, &params) < 0)
    {
        return fail("replay");
    }
    while (received < messages)
    {
        if (aeron_subscription_poll(replay, count_fragment, &received, FRAGMENT_LIMIT) < 0)
        {
            return fail("poll replay");
        }
    }
    int64_t replay_ns = aeron_nano_clock() - start_ns;
    printf("Replayed %.02f MB @ %.02f MB/s\n", stop_position / MEGABYTE, mb_per_s(stop_position, replay_ns));

    aeron_subscription_close(replay, NULL, NULL);
    aeron_exclusive_publication_close(publication, NULL, NULL);
    aeron_archive_close(archive);
    aeron_archive_context_close(archive_context);
    aeron_close(aeron);
    aeron_context_close(context);
    free(message);
    return EXIT_SUCCESS;
}
