# Loaded (ruby -r) before bosh-cli's renderer script, whose template context
# answers if_link with false and has no link(): the director implements links,
# the CLI does not. Once the script has defined TemplateEvaluationContext,
# this prepends link() and if_link() that read the "links" key of the context
# JSON, shaped as the director's: properties and instances of the provider.
module JobTestLinks
  class Link
    Instance = Struct.new(:name, :id, :index, :az, :address, :bootstrap)

    attr_reader :instances, :address

    def initialize(name, data)
      @name = name
      @properties = data['properties'] || {}
      @address = data['address']
      @instances = (data['instances'] || []).map do |i|
        Instance.new(i['name'], i['id'], i['index'], i['az'], i['address'], i['bootstrap'])
      end
    end

    def p(*args)
      names = Array(args[0])
      names.each do |name|
        value = lookup(name)
        return value unless value.nil?
      end
      return args[1] if args.length == 2

      raise "Can't find property '#{names.join("', or '")}' in link '#{@name}'"
    end

    def if_p(*names)
      values = names.map { |name| lookup(name) }
      yield(*values) unless values.any?(&:nil?)
    end

    private

    def lookup(name)
      name.split('.').reduce(@properties) { |ref, key| ref.is_a?(Hash) ? ref[key] : nil }
    end
  end

  def initialize(spec)
    @job_test_links = spec['links'] || {}
    super
  end

  def link(name)
    data = @job_test_links[name]
    raise "Can't find link '#{name}'" if data.nil?

    Link.new(name, data)
  end

  def if_link(name)
    data = @job_test_links[name]
    return TemplateEvaluationContext::ActiveElseBlock.new(self) if data.nil?

    yield Link.new(name, data)
    TemplateEvaluationContext::InactiveElseBlock.new
  end
end

TracePoint.new(:end) do |tp|
  if tp.self.name == 'TemplateEvaluationContext'
    tp.self.prepend(JobTestLinks)
    tp.disable
  end
end.enable
