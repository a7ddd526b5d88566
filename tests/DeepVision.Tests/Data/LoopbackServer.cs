using System.Net;
using System.Net.Sockets;

namespace DeepVision.Tests.Data;

/// <summary>An HTTP server on 127.0.0.1 that stops with the test; it records the Range header of every request.</summary>
internal sealed class LoopbackServer : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Task _loop;
    public List<string?> RangeHeaders { get; } = [];
    public string Url { get; }

    public LoopbackServer(Func<HttpListenerContext, int, Task> handle)
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        Url = $"http://127.0.0.1:{port}/";
        _listener.Prefixes.Add(Url);
        _listener.Start();
        _loop = Task.Run(async () =>
        {
            var request = 0;
            while (_listener.IsListening)
            {
                HttpListenerContext context;
                try { context = await _listener.GetContextAsync(); } catch (Exception) { return; }
                lock (RangeHeaders) RangeHeaders.Add(context.Request.Headers["Range"]);
                try { await handle(context, request++); } catch (Exception) { }
            }
        });
    }

    public void Dispose()
    {
        // Close alone, not Stop then Close: on Unix each of them unregisters the listener, and the second one binds the
        // just-released port again to look for it, which fails ("Address already in use") when another test took it.
        _listener.Close();
        _loop.Wait(TimeSpan.FromSeconds(5));
    }
}

