using Mustafar.Cli;

// Exit codes: 0 success, 1 the operation failed, 2 bad usage.
try
{
    return args.FirstOrDefault() switch
    {
        "demo-models" => DemoModels.Run(CommandLine.Parse(args[1..])),
        "wait-ready" => await Readiness.RunAsync(CommandLine.Parse(args[1..])),
        "ask" => await AskCommand.RunAsync(CommandLine.Parse(args[1..])),
        "eval" => await EvalCommand.RunAsync(CommandLine.Parse(args[1..])),
        "data" => DataCommand.Run(CommandLine.Parse(args[1..])),
        "train" => TrainCommand.Run(CommandLine.Parse(args[1..])),
        "free-ports" => FreePorts.Run(CommandLine.Parse(args[1..])),
        "bench" => BenchCommand.Run(CommandLine.Parse(args[1..])),
        _ => Usage(),
    };
}
catch (UsageException e)
{
    Console.Error.WriteLine($"mustafar: {e.Message}");
    return 2;
}

static int Usage()
{
    Console.Error.WriteLine("""
        usage: mustafar <command> [options]
          demo-models --out DIR [--seed N] [--fusion MODE]   write the tiny random-weight demo checkpoints (once)
          wait-ready URL... [--timeout SECONDS]                wait until every URL answers 200 (/readyz)
          ask --url GATEWAY --image FILE --question TEXT [--max-tokens N] [--no-stream] [--json]
                                                             ask the gateway's /v1/chat/completions and print the answer
          free-ports N                                       print N free loopback TCP ports
        """ + "\n" + EvalCommand.Usage + "\n" + DataCommand.Usage + "\n" + TrainCommand.Usage + "\n" + BenchCommand.Usage);
    return 2;
}
