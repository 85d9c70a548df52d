using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using System.Text.Json;

using IdeaScale.Portal.Scim.Protocol;

using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace IdeaScale.Portal.Scim.Errors;

/// <summary>
/// Kestrel refuses some requests before any middleware runs, a NUL in the path (<c>/scim/v2/Users/abc%00def</c>)
/// among them, and answers them with a bare 400 (no body, <c>Connection: close</c>) that no middleware can change.
/// Under /scim/v2 every answer is a SCIM error body, so this connection middleware recognises that bare answer to a
/// request whose target is under /scim/v2 and gives it one (<c>invalidSyntax</c> for 400).
/// </summary>
/// <remarks>
/// It never changes a request byte and never changes the application's own responses: it only remembers the first
/// bytes of what the parser is reading (the start of the request being parsed) and looks at the end of each flush for
/// Kestrel's bare 4xx (small, complete headers, Content-Length 0, Connection close, no Content-Type); everything
/// else goes through as written. It works on plain HTTP/1.x, which is how the app runs
/// behind the TLS-terminating proxy of docs/deploy.md; on a TLS endpoint it sees only ciphertext and changes nothing.
/// </remarks>
public static class RejectedRequestLines
{
    public static WebApplicationBuilder AddScimBodiesForRejectedRequests(this WebApplicationBuilder builder)
    {
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.ConfigureEndpointDefaults(listen => listen.Use(Middleware)));
        return builder;
    }

    private static ConnectionDelegate Middleware(ConnectionDelegate next) => async connection =>
    {
        var original = connection.Transport;
        var input = new RequestStartReader(original.Input);
        connection.Transport = new Transport(input, new RejectionWriter(original.Output, input));
        try
        {
            await next(connection);
        }
        finally
        {
            connection.Transport = original;
        }
    };

    /// <summary>The SCIM answer for Kestrel's bare <paramref name="response"/>, or null to send it as it is.</summary>
    internal static byte[]? Rewrite(ReadOnlySpan<byte> response, ReadOnlySpan<byte> requestStart)
    {
        if (!IsBareRejection(response, out var status) || !IsScimTarget(requestStart, out var head) || head)
        {
            return null;
        }

        var detail = status switch
        {
            400 => "The request could not be read: its request line or headers are malformed (for example a NUL character, %00, in the path).",
            414 => "The request target is longer than the server accepts.",
            431 => "The request headers are larger than the server accepts.",
            _ => "The request could not be read.",
        };
        var body = JsonSerializer.SerializeToUtf8Bytes(new ScimError(status, status == 400 ? ScimErrorType.InvalidSyntax : null, detail), ScimJson.Options);

        // Kestrel's own status line and headers (Date, Server, Connection: close) stay; Content-Length 0 is replaced.
        var text = Encoding.Latin1.GetString(response[..^2]);
        var headers = text.Replace("\r\nContent-Length: 0\r\n", "\r\n", StringComparison.OrdinalIgnoreCase);
        var rewritten = $"{headers}Content-Type: {ScimConstants.MediaType}; charset=utf-8\r\nContent-Length: {body.Length}\r\n\r\n";
        return [.. Encoding.Latin1.GetBytes(rewritten), .. body];
    }

    private static bool IsBareRejection(ReadOnlySpan<byte> response, out int status)
    {
        status = 0;
        if (response.Length > MaxHeld || !(response.StartsWith("HTTP/1.1 4"u8) || response.StartsWith("HTTP/1.0 4"u8))
            || !response.EndsWith("\r\n\r\n"u8) || response.IndexOf("\r\n\r\n"u8) != response.Length - 4)
        {
            return false;
        }

        var text = Encoding.Latin1.GetString(response);
        if (!text.Contains("\r\nContent-Length: 0\r\n", StringComparison.OrdinalIgnoreCase)
            || !text.Contains("\r\nConnection: close\r\n", StringComparison.OrdinalIgnoreCase)
            || text.Contains("\r\nContent-Type:", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        return int.TryParse(text.AsSpan(9, 3), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out status);
    }

    private static bool IsScimTarget(ReadOnlySpan<byte> requestStart, out bool head)
    {
        var line = Encoding.Latin1.GetString(requestStart);
        var space = line.IndexOf(' ', StringComparison.Ordinal);
        head = space == 4 && line.StartsWith("HEAD", StringComparison.Ordinal);
        if (space < 1)
        {
            return false;
        }

        var target = line.AsSpan(space + 1);
        if (target.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || target.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
        {
            var authorityEnd = target[(target.IndexOf("//", StringComparison.Ordinal) + 2)..].IndexOf('/');
            target = authorityEnd < 0 ? [] : target[(target.IndexOf("//", StringComparison.Ordinal) + 2 + authorityEnd)..];
        }

        return target.StartsWith(ScimConstants.BasePath, StringComparison.OrdinalIgnoreCase)
            && (target.Length == ScimConstants.BasePath.Length || target[ScimConstants.BasePath.Length] is '/' or '?' or ' ' or '%');
    }

    /// <summary>A bare rejection is a status line and a few headers: this much of the end of each flush is examined.</summary>
    private const int MaxHeld = 1024;

    /// <summary>How much of the start of each read is remembered: the method and enough of the target to see /scim/v2.</summary>
    private const int RememberedStart = 256;

    private sealed class Transport(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }

    /// <summary>
    /// Passes every read through untouched and remembers the first bytes of the latest one: when the parser rejects a
    /// request line it has not consumed it, so the latest read starts with that line.
    /// </summary>
    private sealed class RequestStartReader(PipeReader inner) : PipeReader
    {
        private readonly byte[] _start = new byte[RememberedStart];
        private int _length;

        public ReadOnlySpan<byte> Start => _start.AsSpan(0, _length);

        public override async ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
        {
            var result = await inner.ReadAsync(cancellationToken);
            Remember(result.Buffer);
            return result;
        }

        public override bool TryRead(out ReadResult result)
        {
            if (!inner.TryRead(out result))
            {
                return false;
            }

            Remember(result.Buffer);
            return true;
        }

        private void Remember(ReadOnlySequence<byte> buffer)
        {
            if (buffer.IsEmpty)
            {
                return;
            }

            var length = (int)Math.Min(buffer.Length, RememberedStart);
            buffer.Slice(0, length).CopyTo(_start);
            _length = length;
        }

        public override void AdvanceTo(SequencePosition consumed) => inner.AdvanceTo(consumed);

        public override void AdvanceTo(SequencePosition consumed, SequencePosition examined) => inner.AdvanceTo(consumed, examined);

        public override void CancelPendingRead() => inner.CancelPendingRead();

        public override void Complete(Exception? exception = null) => inner.Complete(exception);

        public override ValueTask CompleteAsync(Exception? exception = null) => inner.CompleteAsync(exception);
    }

    /// <summary>
    /// Collects each flush's bytes in a pipe of its own (so memory handed to Kestrel stays valid exactly as the
    /// transport's would) and at the flush copies them to the transport, with Kestrel's bare rejection of a SCIM
    /// request (always the last bytes it writes on a connection) given the SCIM body.
    /// </summary>
    private sealed class RejectionWriter(PipeWriter inner, RequestStartReader input) : PipeWriter
    {
        private readonly Pipe _pending = new(new PipeOptions(pauseWriterThreshold: 0, resumeWriterThreshold: 0, useSynchronizationContext: false));

        public override Memory<byte> GetMemory(int sizeHint = 0) => _pending.Writer.GetMemory(sizeHint);

        public override Span<byte> GetSpan(int sizeHint = 0) => _pending.Writer.GetSpan(sizeHint);

        public override void Advance(int bytes) => _pending.Writer.Advance(bytes);

        public override bool CanGetUnflushedBytes => true;

        public override long UnflushedBytes => _pending.Writer.UnflushedBytes;

        public override async ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
        {
            await MoveAsync();
            return await inner.FlushAsync(cancellationToken);
        }

        public override void CancelPendingFlush() => inner.CancelPendingFlush();

        public override void Complete(Exception? exception = null)
        {
            MoveAsync().AsTask().GetAwaiter().GetResult();
            _pending.Writer.Complete();
            _pending.Reader.Complete();
            inner.Complete(exception);
        }

        public override async ValueTask CompleteAsync(Exception? exception = null)
        {
            await MoveAsync();
            await _pending.Writer.CompleteAsync();
            await _pending.Reader.CompleteAsync();
            await inner.CompleteAsync(exception);
        }

        /// <summary>Copies what was written since the last flush to the transport (completes synchronously: the pipe never waits).</summary>
        private async ValueTask MoveAsync()
        {
            if (_pending.Writer.UnflushedBytes == 0)
            {
                return;
            }

            await _pending.Writer.FlushAsync();
            if (!_pending.Reader.TryRead(out var result))
            {
                return;
            }

            var buffer = result.Buffer;
            var tail = buffer.Length <= MaxHeld ? buffer : buffer.Slice(buffer.Length - MaxHeld);
            var rewritten = RewriteTail(tail.ToArray(), input.Start, out var start);
            var keep = rewritten is null ? buffer : buffer.Slice(0, buffer.Length - tail.Length + start);
            foreach (var segment in keep)
            {
                inner.Write(segment.Span);
            }

            if (rewritten is not null)
            {
                inner.Write(rewritten);
            }

            _pending.Reader.AdvanceTo(buffer.End);
        }

        /// <summary>The SCIM answer for a bare rejection at the end of <paramref name="tail"/> (from <paramref name="start"/>), or null.</summary>
        private static byte[]? RewriteTail(byte[] tail, ReadOnlySpan<byte> requestStart, out int start)
        {
            start = tail.AsSpan().LastIndexOf("HTTP/1."u8);
            return start < 0 ? null : Rewrite(tail.AsSpan(start), requestStart);
        }
    }
}
